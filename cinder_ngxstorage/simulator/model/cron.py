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

"""Cron lines of snapshot schedules: the array's human reading.

``api_spec`` validates a ``cron_time`` (five fields of numbers, ``*``,
lists and ranges, each in range); :func:`describe_cron` only renders a
valid one the way the array's ``h_read`` does.
"""

import re

from cinder_ngxstorage.simulator import api_spec

DAY_NAMES = ('Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday',
             'Friday', 'Saturday', 'Sunday')
MONTH_NAMES = (None, 'January', 'February', 'March', 'April', 'May', 'June',
               'July', 'August', 'September', 'October', 'November',
               'December')
_CRON_TIME = api_spec.get('snapshot.schedule_create').param(
    'body', 'cron_time')


def describe_cron(cron_time):
    """Return the array-style human reading (``h_read``) of a cron line.

    ``'5 * * * *'`` reads ``' 5 minutes past every hour of every day'``,
    as in the reference. ValueError when ``api_spec`` would refuse it.
    """
    if not isinstance(cron_time, str):
        raise ValueError('cron_time must be a string')
    _CRON_TIME.check_value(cron_time)
    minute, hour, dom, month, dow = cron_time.split()
    minute_text = _field_text(minute, 'every minute', '%s minutes',
                              'minutes %s')
    hour_text = _field_text(hour, 'every hour', 'hour %s', 'hours %s')
    month_text = (None if month == '*'
                  else _names(month, MONTH_NAMES))
    if dom == '*' and dow == '*':
        day_text = 'every day'
        if month_text:
            day_text += ' in %s' % month_text
    elif dom == '*':
        day_text = 'every %s' % _names(dow, DAY_NAMES)
        if month_text:
            day_text += ' in %s' % month_text
    else:
        day_text = 'day %s of %s' % (dom, month_text or 'every month')
        if dow != '*':
            day_text += ' and every %s' % _names(dow, DAY_NAMES)
    return ' %s past %s of %s' % (minute_text, hour_text, day_text)


def _field_text(field, every, one, several):
    if field == '*':
        return every
    return (one if field.isdigit() else several) % field


def _names(field, names):
    return re.sub(r'[0-9]+', lambda m: names[int(m.group(0))], field)
