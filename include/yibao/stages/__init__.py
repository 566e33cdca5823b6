"""Pipeline stages, one module per stage as they outgrow ``yibao.pipeline``, which wires them in DAG order."""
