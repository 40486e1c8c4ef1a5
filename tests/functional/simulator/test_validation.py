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

"""Validation (HTTP 400) of every constrained parameter, over real HTTP.

The cases are generated from :mod:`api_spec`: for each operation, each
parameter and each constraint it carries (required, JSON type, enum,
pattern, length, range, array size, custom check), one test sends an
otherwise valid request that breaks only that constraint and expects 400
with a message naming the parameter.  A constraint added to the table is
covered without touching this file.
"""

import json
import re
import unittest

import jsonschema

from cinder_ngxstorage.simulator import api_spec
from cinder_ngxstorage.simulator import Simulator
from tests.functional.simulator import base

_QUANTIFIER = re.compile(r'\{(\d+),(\d+)\}')


def _build_path(op, values):
    path = op.path
    for name, value in values.items():
        path = path.replace('{%s}' % name, value)
    return path


def baseline(op):
    """Return (path_params, query_pairs, body) of a valid request."""
    path_params = {p.name: p.example for p in op.path_params}
    body = {p.name: p.example for p in op.body_params if p.required}
    if op.min_body_fields and not body:
        first = op.body_params[0]
        body[first.name] = first.example
    return path_params, [], (body if op.body_params else None)


def _fails(param, value):
    try:
        param.check_value(value)
    except ValueError:
        return True
    return False


def _pattern_breakers(param, url_safe):
    """Strings that break the pattern / length rules of a string param."""
    example = param.example if isinstance(param.example, str) else 'a'
    candidates = [('bad_char', 'not valid!')]
    quantifiers = _QUANTIFIER.findall(param.pattern or '')
    if quantifiers and len(quantifiers) == 1:
        low, high = (int(n) for n in quantifiers[0])
        candidates.append(('too_long', example[0] * (high + 1)))
        if low > 1:
            candidates.append(('too_short', example[0] * (low - 1)))
    if param.max_length is not None:
        candidates.append(('over_max_length',
                           example[0] * (param.max_length + 1)))
    if not url_safe:
        candidates.append(('empty', ''))
        candidates.append(('trailing_newline', example + '\n'))
    if param.check_example is not None:
        candidates.append(('check', param.check_example))
    return [(label, value) for label, value in candidates
            if _fails(param, value)]


def invalid_body_values(param):
    """(label, value) pairs, each breaking one rule of a body param."""
    cases = []
    if param.type == 'string':
        cases += [('type_integer', 12345), ('type_null', None)]
        if param.enum is not None:
            cases.append(('enum', 'not-in-enum'))
            upper = str(param.enum[0]).upper()
            if upper != param.enum[0] and not param.ignore_case:
                cases.append(('enum_case', upper))
        if param.pattern:
            cases += _pattern_breakers(param, url_safe=False)
    elif param.type == 'integer':
        cases += [('type_string', '1'), ('type_bool', True),
                  ('type_float', 1.5)]
        if param.enum is not None:
            cases.append(('enum', max(param.enum) + 1))
        if param.minimum is not None:
            cases.append(('below_minimum', param.minimum - 1))
        if param.maximum is not None:
            cases.append(('above_maximum', param.maximum + 1))
    elif param.type == 'array':
        cases += [('type_string', 'x'), ('type_object', {})]
        if param.min_items:
            cases.append(('too_few_items', []))
        if param.max_items is not None:
            cases.append(('too_many_items',
                          [param.items.example] * (param.max_items + 1)))
        if param.items is not None:
            cases.append(('item_type', [1]))
            for label, value in invalid_body_values(param.items):
                if isinstance(value, str):
                    cases.append(('item_' + label, [value]))
    return cases


def invalid_query_values(param):
    """(label, list of values) pairs breaking one rule of a query param."""
    cases = []
    if param.type == 'array':
        if param.items is not None and param.items.enum is not None:
            cases.append(('item_enum', ['not-in-enum']))
        if param.items is not None and param.items.pattern:
            for label, value in _pattern_breakers(param.items,
                                                  url_safe=False):
                if value:
                    cases.append(('item_' + label,
                                  [value] * (param.min_items or 1)))
        if param.min_items and param.min_items > 1:
            cases.append(('too_few_values',
                          param.example[:param.min_items - 1]))
        if param.max_items is not None:
            cases.append(('too_many_values',
                          [param.example[0]] * (param.max_items + 1)))
        return cases
    example = str(param.example)
    cases.append(('repeated', [example, example]))
    if param.type == 'integer':
        cases += [('not_a_number', ['abc']), ('float', ['1.5']),
                  ('negative', ['-1'])]
        if param.minimum is not None and param.minimum > 0:
            cases.append(('below_minimum', [str(param.minimum - 1)]))
        if param.maximum is not None:
            cases.append(('above_maximum', [str(param.maximum + 1)]))
    elif param.enum is not None:
        cases.append(('enum', ['not-in-enum']))
        if not param.ignore_case and str(param.enum[0]).upper() != \
                param.enum[0]:
            cases.append(('enum_case', [str(param.enum[0]).upper()]))
    elif param.pattern:
        for label, value in _pattern_breakers(param, url_safe=False):
            cases.append((label, [value]))
    return cases


def invalid_path_values(param):
    """(label, value) pairs breaking one rule of a path param."""
    if not param.pattern:
        return []
    return _pattern_breakers(param, url_safe=True)


def generate_cases():
    """Yield (name, op, location, param_name, request-mutator) tuples."""
    for op in api_spec.OPERATIONS:
        for param in op.path_params:
            for label, value in invalid_path_values(param):
                yield (op, 'path', param.name, label,
                       {'path': {param.name: value}})
        for param in op.query_params:
            for label, values in invalid_query_values(param):
                yield (op, 'query', param.name, label,
                       {'query': [(param.name, v) for v in values]})
        for param in op.body_params:
            if param.required:
                yield (op, 'body', param.name, 'missing',
                       {'drop': param.name})
            for label, value in invalid_body_values(param):
                yield (op, 'body', param.name, label,
                       {'body': {param.name: value}})
        for field, needed in sorted(op.requires.items()):
            yield (op, 'body', field, 'without_' + needed,
                   {'body': {field: op.param('body', field).example},
                    'drop': needed})
        for alias, canonical in sorted(op.aliases.items()):
            values = [v for v in op.param('body', alias).enum]
            yield (op, 'body', alias, 'disagrees_with_' + canonical,
                   {'body': {canonical: values[0], alias: values[1],
                             'size': 1}})
        yield (op, 'query', 'bogus', 'unknown',
               {'query': [('bogus', '1')]})
        yield (op, 'body', 'bogus_field', 'unknown',
               {'body': {'bogus_field': 1}})


def send(http, op, mutation=None):
    """Send ``op``'s baseline request changed by ``mutation``."""
    mutation = mutation or {}
    path_params, query, body = baseline(op)
    path_params.update(mutation.get('path', {}))
    query = query + mutation.get('query', [])
    if mutation.get('body'):
        body = dict(body or {})
        body.update(mutation['body'])
    if body is not None and mutation.get('drop'):
        body.pop(mutation['drop'], None)
    data = None if body is None else json.dumps(body)
    headers = {'Content-Type': 'application/json'} if data else {}
    return http.request(op.method, _build_path(op, path_params),
                        params=query or None, data=data, headers=headers)


class ValidationTest(unittest.TestCase):
    """One test per (operation, parameter, broken rule)."""

    @classmethod
    def setUpClass(cls):
        super(ValidationTest, cls).setUpClass()
        cls.sim = Simulator(pools=('pool1:100G',))
        cls.sim.start()
        cls.http = base.HttpClient(cls.sim)

    @classmethod
    def tearDownClass(cls):
        cls.http.close()
        cls.sim.stop()
        super(ValidationTest, cls).tearDownClass()

    def _check_400(self, op, param_name, mutation):
        response = send(self.http, op, mutation)
        self.assertEqual(400, response.status_code,
                         '%s %s: %s' % (op.op_id, mutation,
                                        response.text))
        body = response.json()
        self.assertIs(False, body['success'])
        self.assertIn(repr(param_name), body['message'])

    def test_case_count(self):
        """Every operation with parameters has generated cases."""
        covered = {case[0].op_id for case in generate_cases()
                   if case[3] != 'unknown'}
        with_params = {op.op_id for op in api_spec.OPERATIONS
                       if op.path_params or op.query_params or
                       op.body_params}
        self.assertEqual(with_params, covered)


# Rules the OpenAPI schema cannot express (or expresses in a regex dialect
# where '$' also matches before a final newline).
_NOT_IN_SCHEMA = ('without_', 'disagrees_with_', 'check', 'trailing_newline',
                  'item_trailing_newline')


class OpenApiAgreementTest(unittest.TestCase):
    """The rendered OpenAPI body schemas refuse what the server refuses."""

    def test_body_schemas_reject_invalid_bodies(self):
        """Every generated invalid body fails its JSON schema too."""
        doc = api_spec.render_openapi()
        checked = 0
        for op, location, name, label, mutation in generate_cases():
            if location != 'body' or label.startswith(_NOT_IN_SCHEMA):
                continue
            if not op.body_params:
                continue
            _path_params, _query, body = baseline(op)
            body = dict(body)
            body.update(mutation.get('body', {}))
            if mutation.get('drop'):
                body.pop(mutation['drop'], None)
            schema = doc['paths'][op.path][op.method.lower()][
                'requestBody']['content']['application/json']['schema']
            validator = jsonschema.Draft4Validator(schema)
            self.assertFalse(validator.is_valid(body),
                             '%s %s %s' % (op.op_id, name, label))
            checked += 1
        self.assertGreater(checked, 100)

    def test_body_schemas_accept_baselines(self):
        """Every baseline body passes its JSON schema."""
        doc = api_spec.render_openapi()
        for op in api_spec.OPERATIONS:
            if not op.body_params:
                continue
            schema = doc['paths'][op.path][op.method.lower()][
                'requestBody']['content']['application/json']['schema']
            jsonschema.Draft4Validator(schema).validate(baseline(op)[2])


def _make_test(op, param_name, mutation):
    def test(self):
        self._check_400(op, param_name, mutation)
    test.__doc__ = '%s: %s' % (op.op_id, param_name)
    return test


def _make_baseline_test(op):
    def test(self):
        response = send(self.http, op)
        self.assertNotIn(response.status_code, (400, 401, 403, 405),
                         '%s baseline: %s' % (op.op_id, response.text))
    test.__doc__ = '%s: the baseline request is valid' % op.op_id
    return test


def _make_not_object_test(op, payload):
    def test(self):
        path_params, _query, _body = baseline(op)
        response = self.http.request(
            op.method, _build_path(op, path_params), data=payload,
            headers={'Content-Type': 'application/json'})
        self.assertEqual(400, response.status_code, response.text)
        self.assertIn('body', response.json()['message'])
    test.__doc__ = '%s: body %r is refused' % (op.op_id, payload)
    return test


def _safe(text):
    return re.sub(r'[^A-Za-z0-9_]', '_', text)


def _install():
    seen = set()
    for op, location, name, label, mutation in generate_cases():
        test_name = 'test_%s__%s_%s__%s' % (
            _safe(op.op_id), location, _safe(name), _safe(label))
        assert test_name not in seen, test_name
        seen.add(test_name)
        setattr(ValidationTest, test_name, _make_test(op, name, mutation))
    for op in api_spec.OPERATIONS:
        setattr(ValidationTest, 'test_%s__baseline_valid' % _safe(op.op_id),
                _make_baseline_test(op))
        payloads = [('array', '[]'), ('invalid_json', '{'),
                    ('string', '"x"')]
        if not op.body_params:
            payloads.append(('unexpected_object', '{"a": 1}'))
        for label, payload in payloads:
            name = 'test_%s__body_%s' % (_safe(op.op_id), label)
            setattr(ValidationTest, name,
                    _make_not_object_test(op, payload))


_install()
