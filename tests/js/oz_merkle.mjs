// Reference for tests/test_merkle.py: OpenZeppelin's own StandardMerkleTree.
// Reads {"encoding": [...], "values": [...]} (integers as decimal strings) on stdin and
// prints {"root": "0x..", "proofs": [[...], ...]} with one proof per value, in value order.
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";

let input = "";
for await (const chunk of process.stdin) input += chunk;
const { encoding, values } = JSON.parse(input);
const tree = StandardMerkleTree.of(values, encoding);
const proofs = values.map((_, i) => tree.getProof(i));
process.stdout.write(JSON.stringify({ root: tree.root, proofs }));
