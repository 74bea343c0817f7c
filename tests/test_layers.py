"""The layer contract (pyproject.toml, [tool.importlinter]): the platform (crm/) imports no
app, and the apps import one way (pipelines and contacts below deals, deals below the
inbox and reports). A forbidden import fails the test run with the chain that breaks it."""

from importlinter.cli import lint_imports


def test_the_layer_contract_holds():
    assert lint_imports(no_cache=True) == 0
