"""Contract tooling (the ``test`` extra): the Schemathesis runner, snapshot, the mock/real
diff, a mock server in a child process. Never imported by the serving code."""
