"""Real Cinder in process on the simulator.

Every stack test runs with the secret-leak detector (StackTestCase
installs tests.secret_leaks.SecretLeakDetector for each): DEBUG logs of
the driver, Cinder's exceptions and the client's errors are checked for
the API token and CHAP secrets.
"""
