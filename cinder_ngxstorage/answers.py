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

"""Which client errors leave the outcome of a create unknown.

An answer that is not JSON, or that :mod:`cinder_ngxstorage.records`
cannot parse, is an :class:`~cinder_ngxstorage.exception.InvalidResponse`;
Python errors (KeyError, TypeError...) are never caught as answers: above
the records they are bugs.
"""

from cinder_ngxstorage import exception as ngx_exc
from cinder_ngxstorage import refusals

# Errors after which a create may have been done by the array: no answer,
# or one that cannot be read. The driver then looks for the object by its
# name before giving up.
UNCERTAIN = (ngx_exc.TransientError, ngx_exc.InvalidResponse)


def may_have_created(err):
    """Whether the object a create asked for may exist after err.

    True after no answer, an unreadable one, or a refusal that says the
    name exists or gives words the driver does not know: the driver then
    looks the object up by name and adopts it only if it is what was
    asked for. A refusal for a known other reason (no space, pool
    offline, licence, limits) made nothing.
    """
    if isinstance(err, UNCERTAIN):
        return True
    if not refusals.is_refusal(err):
        return False
    reason = refusals.classify(err)
    if reason == refusals.UNKNOWN:
        # A 400/422 with words the driver does not know refused the
        # request's content (a bad size): nothing was made.
        return not isinstance(err, ngx_exc.ValidationFailed)
    return reason == refusals.ALREADY_EXISTS
