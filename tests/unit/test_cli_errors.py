"""The vmargin command line without a node: a missing install step or an unknown command is
one line, not a traceback; outside a checkout Anvil comes from PATH."""

from pathlib import Path

import pytest

import vmargin.chain.toolchain
from vmargin.cli.main import main


def test_missing_install_is_one_line_not_a_traceback(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "node_modules").mkdir()
    monkeypatch.setattr(vmargin.chain.toolchain, "CHECKOUT", tmp_path)
    assert main(["demo"]) == 1
    error = capsys.readouterr().err
    assert error.startswith("vmargin: ")
    assert "run `make install`" in error
    assert "Traceback" not in error


def test_outside_a_checkout_anvil_comes_from_path_or_is_named(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(vmargin.chain.toolchain, "CHECKOUT", tmp_path)
    monkeypatch.setenv("PATH", str(tmp_path))
    assert main(["demo"]) == 1
    assert capsys.readouterr().err.startswith("vmargin: anvil is not on PATH")
    anvil = tmp_path / "anvil"
    anvil.write_text("#!/bin/sh\n")
    anvil.chmod(0o755)
    assert vmargin.chain.toolchain.foundry_binary("anvil") == anvil


def test_unknown_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["liquidate-everyone"])
    assert exit_.value.code == 2
    assert "invalid choice" in capsys.readouterr().err
