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

"""The operation layer: how a model method becomes an API operation.

A model part marks the method implementing an operation of
:mod:`~cinder_ngxstorage.simulator.api_spec` with :func:`operation`
(``@operation('lun.create')``); a mutating one returns ``(response,
description)``, a read its response. :meth:`Dispatcher.perform` runs it:

1. for a direct caller (``state.lun_create(ctx, params)``), checks the
   params with ``api_spec.check_params`` -- the HTTP front has already run
   ``api_spec.validate``, the one validator;
2. takes the state's lock; a mutating operation then checks the licence;
3. calls the method; a :class:`~.errors.DomainError` becomes
   :class:`~.errors.ApiError` with the status the state's
   :class:`~.readings.Reading` gives it (the one error -> status map);
4. after a successful mutation writes the audit entry from the
   operation's own method and path in ``api_spec`` and calls
   ``on_change``; after a data-plane failure calls ``on_change`` too,
   since what was committed before it must still be persisted.

:func:`admin` does steps 2 and 3 for the admin helpers (pool status,
licence, running a schedule).
"""

import functools
import logging
import re

from cinder_ngxstorage.simulator import api_spec
from cinder_ngxstorage.simulator.model import base
from cinder_ngxstorage.simulator.model import errors

LOG = logging.getLogger(__name__)


def render_path(template, params):
    """Fill a path template's ``{names}`` from ``params`` (audit text)."""
    return re.sub(r'\{(\w+)\}',
                  lambda m: str(params.get(m.group(1), m.group(0))),
                  template)


def operation(op_id):
    """Mark a model method as the implementation of ``op_id``.

    The decorated name stays callable as ``method(ctx=None, params=None)``
    with validation (for direct callers); :meth:`Dispatcher.perform` runs
    the undecorated method, found by name on the class (so a subclass may
    override an operation with this decorator too).
    """
    spec = api_spec.get(op_id)

    def decorator(func):
        @functools.wraps(func)
        def public(self, ctx=None, params=None):
            return self.perform(op_id, ctx, params, validate=True)
        public.op_id = op_id
        public.mutating = spec.mutating
        public.implementation = func
        return public
    return decorator


def admin(func):
    """Run an admin helper under the lock, answering as an operation."""
    @functools.wraps(func)
    def wrapper(self, *args, **kwargs):
        with self.lock:
            try:
                return func(self, *args, **kwargs)
            except errors.DomainError as exc:
                raise self.answer(exc)
    return wrapper


def implementation(cls, op_id):
    """The undecorated method of ``cls`` implementing ``op_id``."""
    method = getattr(cls, op_id.replace('.', '_'), None)
    if getattr(method, 'op_id', None) != op_id:
        raise NotImplementedError('%s does not implement %s'
                                  % (cls.__name__, op_id))
    return method.implementation


class Dispatcher(object):
    """Runs registered operations (see the module docstring)."""

    def answer(self, exc):
        """Return the :class:`ApiError` answering a domain error."""
        return errors.ApiError(self.reading.status_of(exc), exc.message)

    def perform(self, op_id, ctx=None, params=None, validate=False):
        """Run operation ``op_id`` and return its response body.

        ``params`` are as ``api_spec.validate`` returns them; with
        ``validate`` they are checked with ``api_spec.check_params`` first.
        Raises :class:`~.errors.ApiError`.
        """
        op = api_spec.get(op_id)
        func = implementation(type(self), op_id)
        ctx = ctx if ctx is not None else base.RequestContext()
        params = dict(params or {})
        if validate:
            try:
                params = api_spec.check_params(op, params)
            except api_spec.ValidationError as exc:
                raise errors.ApiError(self.reading.statuses['malformed'],
                                      exc.message)
        with self.lock:
            if not op.mutating:
                try:
                    return func(self, ctx, params)
                except errors.DomainError as exc:
                    raise self.answer(exc)
            try:
                self._check_license_valid()
                response, description = func(self, ctx, params)
            except errors.DomainError as exc:
                if isinstance(exc, errors.Unavailable):
                    self._changed()
                raise self.answer(exc)
            except Exception as exc:
                LOG.exception('Simulator operation %s failed', op_id)
                self._changed()
                raise self.answer(errors.Unavailable(
                    'internal error in %s: %s' % (op_id,
                                                  type(exc).__name__)))
            self._audit(ctx, '%s %s: %s' % (
                op.method, render_path(op.path, params), description))
            self._changed()
            return response
