# Cinder's code expects eventlet's monkey patching to be in place before
# anything else is imported (its own test package does the same); patching
# later, when a test module first imports cinder.tests.unit, breaks ssl for
# the rest of the process. tests.monkey_patch does it the way the installed
# Cinder does (cinder.monkey_patch from Cinder 29, by hand before).
from tests import monkey_patch; monkey_patch.patch()  # noqa
