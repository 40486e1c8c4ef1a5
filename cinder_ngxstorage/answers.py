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

"""Reading the array's answers when they are not what the API promises.

The client guarantees JSON; nothing guarantees its shape. A proxy, a
firmware bug or another product on the address can answer a document
without the fields the driver reads, or with fields of other types. The
driver reads answers plainly (``created['luns'][0]['vol_id']``) and lets
the Python errors such reads raise (:data:`MALFORMED`) become one Cinder
error saying the answer was not understood (see ``driver.array_errors``).
Ids are checked where they are kept: one that is not a non-empty string
must never reach Cinder's database or a later URL.
"""

from cinder_ngxstorage import exception as ngx_exc

# What reading a malformed answer raises.
MALFORMED = (KeyError, IndexError, TypeError, ValueError, AttributeError)


def describe(err):
    """A short, secret-free description of a MALFORMED error."""
    if isinstance(err, KeyError):
        return 'field %s missing' % (err.args[0] if err.args else '?')
    return '%s: %s' % (type(err).__name__, str(err)[:200])


def require_id(value, what):
    """``value`` if it is a usable array id, else InvalidResponse.

    :param what: what the id is, for the message (``'vol_id of the new
        LUN'``).
    """
    if isinstance(value, str) and value.strip() and len(value) <= 200:
        return value
    raise ngx_exc.InvalidResponse(
        'the array answered no usable %s (got %s)'
        % (what, type(value).__name__))


# Errors after which a create may have been done by the array: no answer,
# or one that cannot be read. The driver then looks for the object by its
# name before giving up.
UNCERTAIN = (ngx_exc.TransientError, ngx_exc.InvalidResponse) + MALFORMED
