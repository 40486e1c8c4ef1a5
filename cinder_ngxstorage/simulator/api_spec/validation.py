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
"""Validation of a request against its operation.

:func:`validate` turns a raw request (path parameters, query pairs, body
bytes) into the ``params`` dict handed to the model, or raises
:class:`~.params.ValidationError` naming the parameter and the rule it
broke; :func:`check_params` does the same for a direct caller's decoded
params; :func:`decode_body` is the JSON body rule.
"""

import json
import re

from cinder_ngxstorage.simulator.api_spec.params import MAX_BODY_BYTES
from cinder_ngxstorage.simulator.api_spec.params import ValidationError


def _json_type(value):
    if value is None:
        return 'null'
    if isinstance(value, bool):
        return 'boolean'
    if isinstance(value, int):
        return 'integer'
    if isinstance(value, float):
        return 'number'
    if isinstance(value, str):
        return 'string'
    if isinstance(value, list):
        return 'array'
    return 'object'


def _fail(location, name, rule):
    raise ValidationError('Invalid %s parameter %r: %s' % (location, name,
                                                           rule),
                          param=name, location=location)


def _check(location, param, value):
    try:
        return param.check_value(value)
    except ValueError as e:
        _fail(location, param.name, str(e))


def _check_typed(location, param, value):
    """Check a decoded value's exact JSON type, then its constraints."""
    actual = _json_type(value)
    if actual != param.type:
        _fail(location, param.name, 'must be of type %s, not %s'
              % (param.type, actual))
    if param.type == 'array' and param.items is not None:
        for index, item in enumerate(value):
            if _json_type(item) != param.items.type:
                _fail(location, param.name, 'item %d must be of type %s'
                      % (index, param.items.type))
    return _check(location, param, value)


def _reject_duplicates(pairs):
    result = {}
    for key, value in pairs:
        if key in result:
            raise ValueError('duplicate key %r in a JSON object' % key[:64])
        result[key] = value
    return result


def _reject_constant(name):
    raise ValueError('%s is not valid JSON' % name)


def decode_body(body):
    """Decode a request body into a dict, or None when it is empty.

    The body must be UTF-8 JSON text whose top level is an object, without
    duplicate keys and without NaN/Infinity; otherwise ValidationError.
    """
    if body is None or not body.strip():
        return None
    if len(body) > MAX_BODY_BYTES:
        raise ValidationError('Request body larger than %d bytes'
                              % MAX_BODY_BYTES, location='body')
    try:
        text = body.decode('utf-8')
        data = json.loads(text, object_pairs_hook=_reject_duplicates,
                          parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError) as e:
        raise ValidationError('Request body is not valid JSON: %s'
                              % str(e)[:120], location='body')
    if not isinstance(data, dict):
        raise ValidationError('Request body must be a JSON object, not %s'
                              % _json_type(data), location='body')
    return data


def _validate_path(op, path_params, params):
    for param in op.path_params:
        value = path_params.get(param.name)
        if value is None:
            _fail('path', param.name, 'is required')
        params[param.target] = _check('path', param, value)


def _validate_query(op, query_pairs, params):
    known = {p.name: p for p in op.query_params}
    seen = {}
    for key, value in query_pairs:
        if key not in known:
            raise ValidationError(
                'Unknown query parameter %r (%s takes %s)'
                % (key[:64], op.op_id,
                   ', '.join(sorted(known)) or 'no query parameters'),
                param=key, location='query')
        seen.setdefault(key, []).append(value)
    for name, values in seen.items():
        param = known[name]
        if param.type == 'array':
            params[param.target] = _check('query', param, values)
            continue
        if len(values) > 1:
            _fail('query', name, 'must be given at most once')
        value = values[0]
        if param.type == 'integer':
            if not re.fullmatch(r'[0-9]{1,9}', value):
                _fail('query', name, 'must be %s' % param.describe())
            value = int(value)
        params[param.target] = _check('query', param, value)


def _validate_body(op, body, params):
    data = decode_body(body)
    if not op.body_params:
        if data:
            raise ValidationError(
                'Unknown body parameter %r (%s takes no body)'
                % (sorted(data)[0][:64], op.op_id),
                param=sorted(data)[0], location='body')
        return
    if data is None:
        if not any(p.required for p in op.body_params) and \
                not op.min_body_fields:
            return
        needed = ', '.join(p.name for p in op.body_params if p.required)
        raise ValidationError('Request body must be a JSON object with %s'
                              % (needed or 'at least one field'),
                              location='body')
    known = {p.name: p for p in op.body_params}
    for key in sorted(data):
        if key not in known:
            raise ValidationError(
                'Unknown body parameter %r (%s takes %s)'
                % (key[:64], op.op_id, ', '.join(sorted(known))),
                param=key, location='body')
    for param in op.body_params:
        if param.name not in data:
            if param.required:
                raise ValidationError('Missing required body parameter %r'
                                      % param.name, param=param.name,
                                      location='body')
            continue
        value = data[param.name]
        params[param.target] = _check_typed('body', param, value)
    _check_body_rules(op, len(data), data, params)


def _check_body_rules(op, fields, given, params):
    """The rules across body fields; ``fields`` counts those given."""
    if op.min_body_fields and fields < op.min_body_fields:
        raise ValidationError('Request body must set at least %d of %s'
                              % (op.min_body_fields, ', '.join(
                                  sorted(p.name for p in op.body_params))),
                              location='body')
    for field, needed in sorted(op.requires.items()):
        if field in given and needed not in given:
            _fail('body', field, 'is only accepted together with %r'
                  % needed)
    _fold_aliases(op, params)


def _fold_aliases(op, params):
    for alias, canonical in sorted(op.aliases.items()):
        if alias in params:
            value = params.pop(alias)
            if canonical in params and params[canonical] != value:
                _fail('body', alias, 'must equal %r when both are given'
                      % canonical)
            params[canonical] = value


def validate(op, path_params, query_pairs, body):
    """Validate one request against ``op``; return the state's params.

    ``path_params`` maps the path template's names to the (decoded) path
    segments; ``query_pairs`` is a list of ``(name, value)`` in request
    order; ``body`` is the raw body (bytes, may be empty).  The result maps
    each parameter's ``target`` to its value: path parameters under their
    reference names, body fields as sent (``size_letter`` folded into
    ``sing``), log queries normalised (``types`` lower-cased list,
    ``time_range`` [start, end], ``sort`` list, ``order``, ``limit`` and
    ``page`` ints, ``user``/``host``/... strings).
    """
    params = {}
    _validate_path(op, path_params, params)
    _validate_query(op, query_pairs, params)
    _validate_body(op, body, params)
    return params


def check_params(op, given):
    """Check a direct caller's already decoded params against ``op``.

    ``given`` maps each parameter's ``target`` to its value, as
    :func:`validate` returns them (a None value counts as absent; a query
    array may be given as one string). Every constraint of the table
    applies, values must have exactly their JSON type. Returns the params
    :func:`validate` would return; raises :class:`ValidationError`.
    """
    known = {p.target: (location, p) for location, p in op.all_params()}
    params = {}
    body_fields = 0
    for key in sorted(given):
        value = given[key]
        if value is None:
            continue
        if key not in known:
            raise ValidationError('Unknown parameter %r (%s takes %s)'
                                  % (str(key)[:64], op.op_id,
                                     ', '.join(sorted(known)) or 'none'),
                                  param=key)
        location, param = known[key]
        if (location == 'query' and param.type == 'array'
                and isinstance(value, str)):
            value = [value]
        params[key] = _check_typed(location, param, value)
        body_fields += location == 'body'
    for location, param in op.all_params():
        if param.required and param.target not in params:
            _fail(location, param.name, 'is required')
    _check_body_rules(op, body_fields, params, params)
    return params
