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

"""Masking of secrets before anything is logged or put in an error message.

Three kinds of input are handled:

* decoded data (dicts, lists, tuples, any depth): the value of every key
  that names a secret (``password``, ``secret``, ``token``,
  ``authorization``, ``chap``, ``api_key``, ``cookie``...) is replaced by
  ``***``; string values under other keys are masked as free text;
* JSON text: decoded, masked as data and encoded again; text that is not
  JSON is masked as free text;
* free text: ``"key": "value"``, ``'key': 'value'``, ``key=value``,
  ``key: value`` for secret-naming keys, and ``Bearer <token>``.

:func:`mask_secret_values` additionally removes known secret values (the
client's API key, a CHAP secret being set) wherever they appear, whatever
surrounds them.  Use it on top of the pattern-based masking whenever the
secret is known.
"""

import json
import logging
import re
import urllib.parse

MASK = '***'

# A key names a secret when it contains one of these words.  ``chap`` alone
# is the CHAP object of an auth group ({"username", "password"}); keys such
# as ``chap_status`` are not secrets.
_SECRET_WORDS = (
    r'passw(?:or)?d|passphrase|secret|token|api[_-]?key|credential|'
    r'private[_-]?key|cookie|authori[sz]ation|sim[_-]admin')
_SECRET_KEY_RE = re.compile(
    r'(?:%s)|^chap$|^x-sim-admin$' % _SECRET_WORDS, re.IGNORECASE)

# A key as it may appear in free text: an identifier containing a word.
_TEXT_KEY = r'[A-Za-z0-9_.-]*(?:%s)[A-Za-z0-9_.-]*' % _SECRET_WORDS

# "password": "x"   'password': 'x'   password="x"   (quoted values), also
# with escaped quotes (\"password\": \"x\") as in JSON inside a string.
_QUOTED_VALUE_RE = re.compile(
    r'''(?P<key>(?P<kq>\\?["']?)\b%s(?P=kq)\s*[:=]\s*)'''
    r'''(?P<q>\\?["'])(?P<value>(?:(?!(?P=q))(?:\\.|.))*)(?P=q)'''
    % _TEXT_KEY,
    re.IGNORECASE | re.DOTALL)

# Authorization: Bearer abc   /   Bearer abc anywhere.
_SCHEME_TOKEN_RE = re.compile(
    r'''\b(?P<scheme>bearer|basic)\s+(?!\*\*\*)[^\s'",;()<>{}\[\]]+''',
    re.IGNORECASE)

# password=abc   secret: abc   (unquoted values, up to a separator).
_BARE_VALUE_RE = re.compile(
    r'''(?P<key>\b%s\s*[:=]\s*)(?!["'*{\[])(?!(?:bearer|basic)\s)'''
    r'''[^\s,;&'"}\]]+''' % _TEXT_KEY,
    re.IGNORECASE)

# "chap": {...} without nesting, as found in free text (repr of a dict).
_CHAP_OBJECT_RE = re.compile(
    r'''(?P<key>(?P<kq>["']?)\bchap(?P=kq)\s*[:=]\s*)\{[^{}]*\}''',
    re.IGNORECASE)


def is_secret_key(key):
    """Return True if a mapping key names a secret."""
    return isinstance(key, str) and bool(_SECRET_KEY_RE.search(key))


def mask_data(data):
    """Return a copy of decoded data with every secret masked.

    Dicts, lists and tuples are walked to any depth.  The value of a key
    that names a secret is replaced by ``***`` whatever its type (a
    ``None`` value is kept, it reveals nothing); other string values are
    masked as free text.  The input is never modified.
    """
    if isinstance(data, dict):
        masked = {}
        for key, value in data.items():
            if is_secret_key(key) and value is not None:
                masked[key] = MASK
            else:
                masked[key] = mask_data(value)
        return masked
    if isinstance(data, (list, tuple)):
        return type(data)(mask_data(item) for item in data)
    if isinstance(data, str):
        return mask_text(data)
    return data


def mask_text(text):
    """Mask secrets in free text (log lines, messages, reprs of dicts)."""
    if not isinstance(text, str):
        text = str(text)
    text = _CHAP_OBJECT_RE.sub(lambda m: m.group('key') + MASK, text)
    text = _QUOTED_VALUE_RE.sub(
        lambda m: m.group('key') + m.group('q') + MASK + m.group('q'), text)
    text = _SCHEME_TOKEN_RE.sub(
        lambda m: m.group('scheme') + ' ' + MASK, text)
    text = _BARE_VALUE_RE.sub(lambda m: m.group('key') + MASK, text)
    return text


def mask_json(text):
    """Mask a JSON document given as text (or bytes).

    Text that is not JSON is masked as free text, so this is safe on any
    response body.
    """
    if isinstance(text, (bytes, bytearray)):
        text = bytes(text).decode('utf-8', 'replace')
    try:
        data = json.loads(text)
    except ValueError:
        return mask_text(text)
    if isinstance(data, (dict, list)):
        return json.dumps(mask_data(data))
    return mask_text(text)


def mask(value):
    """Mask whatever is given: data, JSON text, bytes or free text."""
    if isinstance(value, (dict, list, tuple)):
        return mask_data(value)
    if isinstance(value, (str, bytes, bytearray)):
        return mask_json(value)
    return value


def _variants(secret):
    # The forms a secret takes in logs: as is, JSON-escaped, URL-encoded.
    forms = {secret, json.dumps(secret)[1:-1],
             urllib.parse.quote(secret, safe=''),
             urllib.parse.quote_plus(secret, safe='')}
    return sorted((f for f in forms if f), key=len, reverse=True)


def mask_secret_values(value, secrets):
    """Replace every occurrence of the known secret values by ``***``.

    :param value: a string, or data (dicts/lists/tuples, any depth) whose
        keys and string values are masked.
    :param secrets: iterable of secret strings; empty ones are ignored.
    :returns: a masked copy of ``value``.
    """
    secrets = [s for s in (secrets or ()) if isinstance(s, str) and s]
    if not secrets:
        return value
    forms = []
    for secret in sorted(set(secrets), key=len, reverse=True):
        forms.extend(_variants(secret))
    return _replace_values(value, forms)


def _replace_values(value, forms):
    if isinstance(value, str):
        for form in forms:
            if form in value:
                value = value.replace(form, MASK)
        return value
    if isinstance(value, dict):
        return {_replace_values(k, forms): _replace_values(v, forms)
                for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_replace_values(v, forms) for v in value)
    return value


class RedactingFilter(logging.Filter):
    """A logging filter that masks secrets in every record it sees.

    Attach it to a logger or handler as a last line of defence; the client
    already masks what it logs.  Known secret values may be given too.
    """

    def __init__(self, name='', secrets=()):
        super(RedactingFilter, self).__init__(name)
        self._secrets = tuple(secrets)

    def filter(self, record):
        """Mask the record's message in place; never drops a record."""
        try:
            message = record.getMessage()
        except Exception:
            return True
        masked = mask_secret_values(mask_text(message), self._secrets)
        if masked != message:
            record.msg = masked
            record.args = None
        return True
