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

"""Catch API tokens and CHAP secrets in logs, error messages and reprs.

:class:`SecretLeakDetector` (a fixture: the base classes of the
functional and stack tests use it first thing in setUp, so every test
there runs under it) while it is installed:

* learns every secret as it is made, through spies on the few places that
  make or take one: an API key added to a simulator, a simulator's admin
  token, the token a client is built with, a CHAP secret the driver
  generates or a client sets;
* switches DEBUG on for the driver, the client and os-brick, and
  inspects every log record of the process when it is created (message,
  arguments and traceback), whatever handlers tests install or remove
  (``fixtures.FakeLogger`` included);
* inspects the message of every NGXStorage and Cinder exception when it
  is made.

On clean-up it removes every spy, restores the log record factory and
the logger levels, and fails the test with the leaks that happened
during it.

A secret found is recorded as a *leak* (where, which test, an excerpt
with the secret masked, so the report does not leak it again).
:func:`assert_no_leaks` checks everything so far (the secrets learnt and
the leaks found are kept for the whole process). :func:`check_text`
checks any text (a repr, a file); :func:`assert_no_secret_in_files`
checks log files written by other processes.

Secrets shorter than :data:`MIN_LENGTH` are not tracked (they would match
ordinary words).
"""

import functools
import json
import logging
import re
import threading
import traceback
import urllib.parse

import fixtures

MIN_LENGTH = 10

# Loggers switched to DEBUG while a SecretLeakDetector is installed.
DEBUG_LOGGERS = ('cinder_ngxstorage', 'cinder.volume.drivers', 'os_brick')

_lock = threading.RLock()
_alnum_by_length = {}   # length -> set of alphanumeric secrets
_other_forms = set()    # every form of secrets with other characters
_leaks = []
_current_test = [None]

_ALNUM_RUN_RE = re.compile(r'[A-Za-z0-9]{%d,}' % MIN_LENGTH)


def register(*values):
    """Add secret values (tokens, CHAP secrets) to look for."""
    with _lock:
        for value in values:
            if not isinstance(value, str) or len(value) < MIN_LENGTH:
                continue
            if value.isalnum() and value.isascii():
                _alnum_by_length.setdefault(len(value), set()).add(value)
                continue
            for form in (value, json.dumps(value)[1:-1],
                         urllib.parse.quote(value, safe=''),
                         urllib.parse.quote_plus(value, safe='')):
                _other_forms.add(form)


def known_count():
    """How many secrets are tracked."""
    with _lock:
        return (sum(len(s) for s in _alnum_by_length.values()) +
                len(_other_forms))


def find(text):
    """The secrets that occur in text (a list, maybe empty)."""
    if not text:
        return []
    found = []
    with _lock:
        lengths = [(n, s) for n, s in _alnum_by_length.items() if s]
        others = list(_other_forms)
    for match in _ALNUM_RUN_RE.finditer(text):
        run = match.group(0)
        for length, values in lengths:
            for start in range(0, len(run) - length + 1):
                if run[start:start + length] in values:
                    found.append(run[start:start + length])
    found.extend(form for form in others if form in text)
    return found


def mask(text, secrets):
    """text with the given secrets replaced by ***."""
    for secret in sorted(set(secrets), key=len, reverse=True):
        text = text.replace(secret, '***')
    return text


def check_text(text, where):
    """Record a leak if text holds a secret; return True if it does."""
    found = find(text)
    if found:
        with _lock:
            _leaks.append({'where': where, 'test': _current_test[0],
                           'excerpt': mask(text, found)[:500]})
    return bool(found)


def leaks(since=0):
    """The leaks recorded (from index since)."""
    with _lock:
        return list(_leaks[since:])


def forget_leaks(since):
    """Drop the leaks from index since (a test that leaks on purpose)."""
    with _lock:
        del _leaks[since:]


def report(found):
    """A readable list of leaks (secrets masked)."""
    return '\n'.join('%s (test %s): %s' % (leak['where'], leak['test'],
                                           leak['excerpt'])
                     for leak in found)


def assert_no_leaks(since=0):
    """AssertionError listing every leak from index since."""
    found = leaks(since)
    if found:
        raise AssertionError('%d secret leak(s):\n%s'
                             % (len(found), report(found)))


def assert_no_secret_in_files(paths, secrets=()):
    """Check files other processes wrote (service logs) for secrets."""
    register(*secrets)
    mark = len(leaks())
    for path in paths:
        with open(path, encoding='utf-8', errors='replace') as f:
            for number, line in enumerate(f, 1):
                check_text(line, '%s:%d' % (path, number))
    assert_no_leaks(mark)


def secrets_in(data):
    """Every value under a key naming a secret in decoded data.

    For a simulator's state (``GET /_sim/state``, ``ArrayState.dump()``):
    the CHAP secrets of its auth groups.
    """
    found = []
    if isinstance(data, dict):
        for key, value in data.items():
            if (isinstance(key, str) and isinstance(value, str) and
                    re.search('password|secret|token', key, re.I)):
                found.append(value)
            else:
                found.extend(secrets_in(value))
    elif isinstance(data, (list, tuple)):
        for item in data:
            found.extend(secrets_in(item))
    return found


# -- the spies ---------------------------------------------------------------

def _inspect_record(record):
    try:
        text = record.getMessage()
    except Exception:
        text = '%s %r' % (record.msg, record.args)
    if record.exc_info and record.exc_info[1] is not None:
        text += '\n' + ''.join(traceback.format_exception(
            *record.exc_info))
    check_text(text, 'log %s %s' % (record.name, record.levelname))


def _spy_result(original, register_result=False, arg=None):
    """original wrapped so that its secret argument or result is known."""
    @functools.wraps(original)
    def spy(*args, **kwargs):
        if arg is not None:
            position, keyword = arg
            value = kwargs.get(keyword)
            if value is None and len(args) > position:
                value = args[position]
            register(value)
        result = original(*args, **kwargs)
        if register_result:
            register(result)
        return result
    return spy


def _spy_exception(original, what):
    """An exception's __init__ wrapped to check its message."""
    @functools.wraps(original)
    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        try:
            text = str(self)
        except Exception:
            return
        check_text(text, '%s %s' % (what, type(self).__name__))
    return init


def _spy_simulator(original):
    """Simulator.__init__ wrapped to learn its tokens."""
    @functools.wraps(original)
    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        register(self.admin_token, self.token)
    return init


class SecretLeakDetector(fixtures.Fixture):
    """The detector, installed for one test and removed after it.

    Installs the spies (see the module's documentation) with
    ``mock.patch`` and the log record factory, switches DEBUG on for
    :data:`DEBUG_LOGGERS`; on clean-up undoes all of it, then fails
    (AssertionError) with the leaks recorded while it was installed. Use
    it first in a test's setUp, so that it sees every secret the test
    makes and its check runs last.
    """

    def __init__(self, test_id=None):
        super().__init__()
        self.test_id = test_id
        self.mark = 0

    def _setUp(self):
        # Registers oslo.log's options, which adds its console handler to
        # the root logger: it must be there before its threshold is set.
        from cinder.common import config  # noqa: F401
        from cinder import exception as cinder_exception

        from cinder_ngxstorage import client
        from cinder_ngxstorage import exception as ngx_exc
        from cinder_ngxstorage import exports
        from cinder_ngxstorage import simulator
        from cinder_ngxstorage.simulator import keys

        with _lock:
            self.mark = len(_leaks)
            previous_test = _current_test[0]
            _current_test[0] = self.test_id
        # Registered first: runs after every other clean-up below.
        self.addCleanup(self._verify, previous_test)

        def spy(owner, name, make):
            self.useFixture(fixtures.MockPatchObject(
                owner, name, make(getattr(owner, name))))

        spy(keys.KeyStore, 'add',
            lambda f: _spy_result(f, register_result=True))
        spy(client.NGXStorageClient, '__init__',
            lambda f: _spy_result(f, arg=(2, 'token')))
        spy(client.NGXStorageClient, 'set_auth_group_chap',
            lambda f: _spy_result(f, arg=(3, 'password')))
        spy(exports, 'generate_chap_secret',
            lambda f: _spy_result(f, register_result=True))
        spy(simulator.Simulator, '__init__', _spy_simulator)
        spy(ngx_exc.NGXStorageError, '__init__',
            lambda f: _spy_exception(f, 'NGXStorage error'))
        spy(cinder_exception.CinderException, '__init__',
            lambda f: _spy_exception(f, 'Cinder exception'))

        previous = logging.getLogRecordFactory()

        def factory(*args, **kwargs):
            record = previous(*args, **kwargs)
            _inspect_record(record)
            return record
        logging.setLogRecordFactory(factory)
        self.addCleanup(logging.setLogRecordFactory, previous)
        # DEBUG for the code that handles the secrets: the driver and
        # client (every API exchange is logged at DEBUG) and os-brick
        # (connection properties). Not the whole process: Cinder's
        # database layer at DEBUG would log every row. What the console
        # shows does not change: handlers already there keep the threshold
        # the root logger gave them.
        root = logging.getLogger()
        for handler in root.handlers:
            if handler.level == logging.NOTSET:
                handler.setLevel(max(root.level, logging.WARNING))
                self.addCleanup(handler.setLevel, logging.NOTSET)
        for name in DEBUG_LOGGERS:
            logger = logging.getLogger(name)
            self.addCleanup(logger.setLevel, logger.level)
            logger.setLevel(logging.DEBUG)

    def _verify(self, previous_test):
        with _lock:
            _current_test[0] = previous_test
        assert_no_leaks(self.mark)
