# Cinder's code expects eventlet's monkey patching to be in place before
# anything else is imported (its own test package does the same); patching
# later, when a test module first imports cinder.tests.unit, breaks ssl for
# the rest of the process.
from cinder import monkey_patch; monkey_patch.patch()  # noqa
