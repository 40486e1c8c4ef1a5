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

"""The login checks (``--initiator-tools``): libiscsi's ``iscsi-inq``.

With the kit's first LUN mapped to its first target (whose auth group
holds the kit's initiator IQN and CHAP credential), the checks log in as
the driver's connection info would say and:

* ``lun-number``: read the device identification VPD page (0x83) and the
  unit serial number page (0x80) of the LUN number the array answered,
  and look for that LUN's ``scsi_lunid`` or ``vol_id`` in them;
* ``wrong-initiator``: a login with another initiator IQN is refused;
* ``wrong-chap``: a login with a wrong CHAP secret is refused.

The CHAP secret is given to libiscsi in ``LIBISCSI_CHAP_PASSWORD``, never
on a command line, and never printed.
"""

import os
import re
import shutil
import subprocess

INQ = 'iscsi-inq'
TIMEOUT = 60


def missing():
    """What is missing to run the checks ('' when nothing)."""
    if shutil.which(INQ) is None:
        return '%s (Debian package libiscsi-bin)' % INQ
    return ''


def _host(host):
    return '[%s]' % host if ':' in host and not host.startswith('[') \
        else host


def inquire(portal, target_iqn, lun, initiator, chap, page):
    """(rc, output) of iscsi-inq for a VPD page (0x80 or 0x83)."""
    host, port = portal
    user = '%s@' % chap[0] if chap else ''
    url = 'iscsi://%s%s:%d/%s/%d' % (user, _host(host), int(port),
                                     target_iqn, int(lun))
    env = dict(os.environ)
    env.pop('LIBISCSI_CHAP_PASSWORD', None)
    if chap:
        env['LIBISCSI_CHAP_PASSWORD'] = chap[1]
    argv = [INQ, '-i', initiator, '-e', '1', '-c', str(page), url]
    try:
        result = subprocess.run(argv, capture_output=True,
                                timeout=TIMEOUT, env=env)
    except subprocess.TimeoutExpired:
        return 124, 'timed out after %d s' % TIMEOUT
    # Binary designators: bytes, decoded here (not every subprocess
    # module honours errors=).
    output = (result.stdout + result.stderr).decode('utf-8', 'replace')
    if chap:
        output = output.replace(chap[1], '***')
    return result.returncode, output


def _hexes(text):
    return set(re.findall(r'[0-9a-fA-F]{16,}', text.lower()))


def _matches(output, ids):
    """Whether the inquiry output names one of ids (a 16+ hex part)."""
    found = _hexes(output)
    for value in ids:
        value = str(value).lower()
        for chunk in found:
            if chunk in value or value in chunk:
                return True
    return False


def run(facts, lun_detail, prefix):
    """The three checks; a list of {check, ok, detail}."""
    results = []
    portals = facts.get('portals') or []
    if not portals or not facts.get('t1_iqn') or facts.get(
            'l1_number') is None:
        return [{'check': 'login', 'ok': False,
                 'detail': 'no usable portal, target IQN or LUN number'}]
    portal = portals[0]
    iqn, number = facts['t1_iqn'], int(facts['l1_number'])
    good, chap = facts['initiator'], facts['chap']
    pages = []
    for page in (0x83, 0x80):
        rc, output = inquire(portal, iqn, number, good, chap, page)
        pages.append((page, rc, output))
    logged_in = any(rc == 0 for _p, rc, _o in pages)
    named = ['0x%x names the %s' % (page, kind)
             for page, rc, output in pages if rc == 0
             for kind, value in (('scsi_lunid', lun_detail.get('scsi_lunid')),
                                 ('vol_id', lun_detail.get('vol_id')))
             if value and _matches(output, [value])]
    same = bool(named)
    if not logged_in:
        detail = 'login as the kit initiator failed: %s' % ' '.join(
            pages[0][2].split())[:160]
    elif same:
        detail = ('LUN %d of %s is the LUN the array answered (%s)'
                  % (number, iqn, ', '.join(named)))
    else:
        seen = ' | '.join(' '.join(output.split())[-120:]
                          for _p, rc, output in pages if rc == 0)
        detail = ('LUN %d of %s is NOT (or cannot be shown to be) the LUN '
                  'whose scsi_lunid/vol_id the array answered; the pages '
                  'say: %s' % (number, iqn, seen))
    results.append({'check': 'lun-number', 'ok': logged_in and same,
                    'detail': detail})
    bad = 'iqn.2004-10.com.ngxstorage.check:%s-wrong' % prefix
    rc, output = inquire(portal, iqn, number, bad, chap, 0x80)
    results.append({'check': 'wrong-initiator', 'ok': rc != 0,
                    'detail': 'refused' if rc else 'a login as %s was '
                    'ACCEPTED' % bad})
    wrong = (chap[0], ('W' + chap[1])[:len(chap[1])].swapcase())
    rc, output = inquire(portal, iqn, number, good, wrong, 0x80)
    results.append({'check': 'wrong-chap', 'ok': rc != 0,
                    'detail': 'refused' if rc else 'a login with a wrong '
                    'CHAP secret was ACCEPTED'})
    return results
