# Every stack test runs with the secret-leak detector: DEBUG logs of the
# driver, Cinder's exceptions and the client's errors are checked for the
# API token and CHAP secrets.
from tests import secret_leaks

secret_leaks.install()
