"""The tests' import path: ``tests/support`` is importable as ``support`` (pyproject's
``pythonpath``). Node fixtures are in ``tests/node/conftest.py``; ``tests/unit`` needs no
node."""
