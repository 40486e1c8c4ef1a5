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
"""The operation table rendered as an OpenAPI 3 document.

:func:`render_openapi` (served at ``/_sim/openapi.json`` and written by
``ngxstorage-simulator --openapi``) and :func:`param_schema`, one
parameter's JSON schema.
"""

import re

from cinder_ngxstorage.simulator.api_spec.operations import OPERATIONS


def _ci_pattern(words):
    parts = []
    for word in words:
        parts.append(''.join('[%s%s]' % (c.lower(), c.upper())
                             if c.isalpha() else re.escape(c)
                             for c in str(word)))
    return '^(%s)$' % '|'.join(parts)


def param_schema(param):
    """Return the JSON schema (OpenAPI 3.0 dialect) of one parameter."""
    schema = {'type': param.type}
    if param.type == 'array':
        schema['items'] = (param_schema(param.items) if param.items
                           else {'type': 'string'})
        if param.min_items is not None:
            schema['minItems'] = param.min_items
        if param.max_items is not None:
            schema['maxItems'] = param.max_items
    elif param.enum is not None and param.ignore_case:
        schema['pattern'] = _ci_pattern(param.enum)
    elif param.enum is not None:
        schema['enum'] = list(param.enum)
    if param.pattern:
        schema['pattern'] = param.pattern
    if param.max_length is not None:
        schema['maxLength'] = param.max_length
    if param.minimum is not None:
        schema['minimum'] = param.minimum
    if param.maximum is not None:
        schema['maximum'] = param.maximum
    rule = param.check_rule or param.rule
    if rule:
        schema['description'] = rule
    if param.secret:
        schema['format'] = 'password'
    return schema


def _error_response(description):
    return {'description': description,
            'content': {'application/json': {
                'schema': {'$ref': '#/components/schemas/Error'}}}}


def _server(url):
    """A server object; each ``{variable}`` of the URL gets a default."""
    server = {'url': url}
    names = re.findall(r'{([^{}]+)}', url)
    if names:
        # OpenAPI requires every variable of a server URL to be declared.
        server['variables'] = {name: {'default': 'localhost'}
                               for name in names}
    return server


def render_openapi(server_url='https://{host}'):
    """Render the operation table as an OpenAPI 3.0 document (a dict).

    Path keys are the documented paths (trailing slashes as documented);
    every operation carries its ``operationId`` (the op id) and an
    ``x-permission`` extension.  Body schemas forbid unknown fields.
    """
    paths = {}
    for op in OPERATIONS:
        entry = {
            'operationId': op.op_id,
            'summary': op.summary,
            'x-permission': op.permission,
            'tags': [op.op_id.split('.')[0]],
            'responses': {
                '200': {'description': 'Success',
                        'content': {'application/json': {'schema': {}}}},
                '400': _error_response('Validation failed'),
                '401': _error_response('Missing, unknown or expired key'),
                '403': _error_response('Endpoint or pool not permitted'),
                '404': _error_response('Unknown object'),
                '409': _error_response('Conflict'),
            },
        }
        parameters = []
        for param in op.path_params:
            parameters.append({'name': param.name, 'in': 'path',
                               'required': True,
                               'schema': param_schema(param)})
        for param in op.query_params:
            item = {'name': param.name, 'in': 'query',
                    'required': param.required,
                    'schema': param_schema(param)}
            if param.type == 'array':
                item['style'] = 'form'
                item['explode'] = True
            parameters.append(item)
        if parameters:
            entry['parameters'] = parameters
        if op.body_params:
            schema = {
                'type': 'object',
                'additionalProperties': False,
                'properties': {p.name: param_schema(p)
                               for p in op.body_params},
            }
            required = [p.name for p in op.body_params if p.required]
            if required:
                schema['required'] = required
            if op.min_body_fields:
                schema['minProperties'] = op.min_body_fields
            entry['requestBody'] = {
                'required': bool(required or op.min_body_fields),
                'content': {'application/json': {'schema': schema}},
            }
        paths.setdefault(op.path, {})[op.method.lower()] = entry
    return {
        'openapi': '3.0.3',
        'info': {
            'title': 'NGXStorage REST API (simulator reading)',
            'version': '2.4.1',
            'description': 'Rendered from cinder_ngxstorage.simulator.'
                           'api_spec: the documented operations with the '
                           'constraints the simulator enforces.',
        },
        'servers': [_server(server_url)],
        'security': [{'bearer': []}],
        'components': {
            'securitySchemes': {'bearer': {'type': 'http',
                                           'scheme': 'bearer'}},
            'schemas': {'Error': {
                'type': 'object',
                'required': ['success', 'message'],
                'properties': {'success': {'type': 'boolean'},
                               'message': {'type': 'string'}},
            }},
        },
        'paths': paths,
    }
