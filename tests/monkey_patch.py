# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at
#
#      http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
# License for the specific language governing permissions and limitations
# under the License.

"""eventlet monkey patching as cinder-volume does it, on Cinder 24 to 29.

Cinder 29 (2026.2) has ``cinder.monkey_patch``; older releases (2024.1 to
2026.1) patch in ``cinder/tests/unit/__init__.py`` instead:
``eventlet.monkey_patch()`` and then the original ``threading`` module's
``current_thread`` pointed at the patched ``_active`` (Launchpad bug
1863021).  This module does whichever the installed Cinder does.  Import
nothing here that needs patching before ``patch()`` runs.
"""

import os

_PATCHED = False


def _cinder_monkey_patch():
    """cinder.monkey_patch, or None before Cinder 29."""
    try:
        from cinder import monkey_patch
    except ImportError:
        return None
    return monkey_patch


def is_patched():
    """Whether eventlet's monkey patching is in place."""
    cinder_patch = _cinder_monkey_patch()
    if cinder_patch is not None:
        return cinder_patch.is_patched()
    return _PATCHED


def _legacy_patch():
    """What cinder/tests/unit/__init__.py does on Cinder 24 to 28."""
    import eventlet
    if os.name == 'nt':
        eventlet.monkey_patch(os=False)
    else:
        eventlet.monkey_patch()
    import __original_module_threading as orig_threading  # noqa
    import threading
    orig_threading.current_thread.__globals__['_active'] = threading._active


def patch():
    """Apply eventlet's monkey patching once, like the installed Cinder.

    On Cinder 29 this is ``cinder.monkey_patch.patch()`` (which honours
    ``OS_CINDER_DISABLE_EVENTLET_PATCHING``).
    """
    global _PATCHED
    cinder_patch = _cinder_monkey_patch()
    if cinder_patch is not None:
        cinder_patch.patch()
    elif not _PATCHED:
        _legacy_patch()
        _PATCHED = True
