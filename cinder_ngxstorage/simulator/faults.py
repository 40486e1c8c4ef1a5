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

"""Fault injection for the simulator's HTTP front.

A rule matches requests by method and a regular expression searched in the
URL path (``/api/v2/lun/``), and acts in one of two phases:

``before``
    the request is answered with the fault and never reaches the state;
``after``
    the operation runs (and commits) first, then the fault replaces the
    real answer, so a client sees a failure for a change that happened.

Actions: ``status`` (answer ``status`` with ``{"success": false,
"message"}``), ``drop`` (close the connection without any response),
``delay`` (wait ``delay`` seconds, then answer normally; used to provoke
client read timeouts), ``body`` (answer ``status`` with the raw ``body``
text as ``content_type``: an HTML error page, a document missing fields
or of the wrong types, a huge one) and ``truncate`` (the real answer cut
to half its bytes, a complete HTTP message with incomplete JSON; in the
``before`` phase, half of the ``status`` error body).  ``delay`` also
postpones the other actions.

``probability`` (0 to 1) makes a rule fire on each request of its window
with that chance only (random faults for soak tests; ``reseed`` makes
the draws repeatable); a request it lets pass does not count as fired.

A rule fires on its ``nth`` matching request and on the ``times - 1``
following ones (``times=0``: on every match from the nth on).  Rules are
tried in the order they were added; the first one in its firing window
fires and the rules after it do not see that request.  Admin paths under
``/_sim/`` never reach the injector.
"""

import itertools
import random
import re
import threading

PHASES = ('before', 'after')
ACTIONS = ('status', 'drop', 'delay', 'body', 'truncate')


class FaultRule(object):
    """One fault rule and its counters (``seen``, ``fired``)."""

    def __init__(self, rule_id, method, path, phase, action, status,
                 message, nth, times, delay, body=None,
                 content_type='application/json', probability=1.0):
        self.id = rule_id
        self.method = method
        self.path = path
        self.regex = re.compile(path)
        self.phase = phase
        self.action = action
        self.status = status
        self.message = message
        self.nth = nth
        self.times = times
        self.delay = delay
        self.body = body
        self.content_type = content_type
        self.probability = probability
        self.seen = 0
        self.fired = 0

    def __repr__(self):
        return '<FaultRule %d %s %s %s %s>' % (
            self.id, self.method or '*', self.path, self.phase, self.action)

    def matches(self, method, path, phase):
        """True when this rule applies to the request in ``phase``."""
        return (phase == self.phase and
                (self.method is None or self.method == method) and
                self.regex.search(path) is not None)

    @property
    def exhausted(self):
        """True once the rule has fired ``times`` times (never if 0)."""
        return bool(self.times) and self.fired >= self.times

    def to_dict(self):
        """Return the rule and its counters as a JSON-able dict."""
        return {
            'id': self.id, 'method': self.method, 'path': self.path,
            'phase': self.phase, 'action': self.action,
            'status': self.status, 'message': self.message,
            'nth': self.nth, 'times': self.times, 'delay': self.delay,
            'body': self.body, 'content_type': self.content_type,
            'probability': self.probability,
            'seen': self.seen, 'fired': self.fired,
        }


class FaultInjector(object):
    """Thread-safe list of :class:`FaultRule`."""

    def __init__(self):
        self._lock = threading.Lock()
        self._rules = []
        self._ids = itertools.count(1)
        self._random = random.Random()

    def reseed(self, seed):
        """Make the draws of ``probability`` rules repeatable."""
        with self._lock:
            self._random.seed(seed)

    def add(self, method=None, path=r'.*', phase='before',
            action='status', status=500, message=None, nth=1, times=1,
            delay=0.0, body=None, content_type='application/json',
            probability=1.0):
        """Add a rule and return its id.

        ``method`` is an HTTP method, or None / ``'*'`` for any; ``path`` a
        regular expression searched in the URL path.  Raises ValueError for
        a bad argument.
        """
        if method in (None, '*'):
            method = None
        elif not isinstance(method, str) or not method.isalpha():
            raise ValueError('method must be an HTTP method, "*" or None')
        else:
            method = method.upper()
        if not isinstance(path, str):
            raise ValueError('path must be a regular expression string')
        try:
            re.compile(path)
        except re.error as e:
            raise ValueError('path is not a valid regular expression: %s'
                             % e)
        if phase not in PHASES:
            raise ValueError('phase must be one of %s' % ', '.join(PHASES))
        if action not in ACTIONS:
            raise ValueError('action must be one of %s'
                             % ', '.join(ACTIONS))
        lowest = 200 if action == 'body' else 400
        if (isinstance(status, bool) or not isinstance(status, int) or
                not lowest <= status <= 599):
            raise ValueError('status must be an integer from %d to 599'
                             % lowest)
        if message is not None and not isinstance(message, str):
            raise ValueError('message must be a string')
        if isinstance(nth, bool) or not isinstance(nth, int) or nth < 1:
            raise ValueError('nth must be an integer, 1 or greater')
        if isinstance(times, bool) or not isinstance(times, int) or \
                times < 0:
            raise ValueError('times must be an integer, 0 (always) or more')
        if (isinstance(delay, bool) or
                not isinstance(delay, (int, float)) or not delay >= 0):
            raise ValueError('delay must be a number of seconds >= 0')
        if action == 'body' and not isinstance(body, str):
            raise ValueError('the body action needs body, a string')
        if body is not None and not isinstance(body, str):
            raise ValueError('body must be a string')
        if not isinstance(content_type, str) or not content_type:
            raise ValueError('content_type must be a non-empty string')
        if (isinstance(probability, bool) or
                not isinstance(probability, (int, float)) or
                not 0 < probability <= 1):
            raise ValueError('probability must be a number in (0, 1]')
        if message is None:
            message = ('Simulated fault: HTTP %d' % status
                       if action == 'status' else 'Simulated fault')
        with self._lock:
            rule = FaultRule(next(self._ids), method, path, phase, action,
                             status, message, nth, times, float(delay),
                             body=body, content_type=content_type,
                             probability=float(probability))
            self._rules.append(rule)
        return rule.id

    def remove(self, rule_id):
        """Remove one rule (KeyError if there is no such rule)."""
        with self._lock:
            for index, rule in enumerate(self._rules):
                if rule.id == rule_id:
                    del self._rules[index]
                    return
        raise KeyError(rule_id)

    def clear(self):
        """Remove every rule."""
        with self._lock:
            del self._rules[:]

    def rules(self):
        """Return every rule as a dict, in order, with its counters."""
        with self._lock:
            return [rule.to_dict() for rule in self._rules]

    def match(self, method, path, phase):
        """Count the request against the rules; return the firing rule.

        Returns a dict copy of the rule that fires (or None).  Counting
        and firing are one atomic step, so concurrent requests each see a
        distinct position in a rule's sequence.
        """
        with self._lock:
            for rule in self._rules:
                if rule.exhausted or not rule.matches(method, path, phase):
                    continue
                rule.seen += 1
                if rule.seen >= rule.nth:
                    if (rule.probability < 1 and
                            self._random.random() >= rule.probability):
                        continue
                    rule.fired += 1
                    return rule.to_dict()
        return None
