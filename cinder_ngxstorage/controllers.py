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

"""Which portals serve which controller (dual-controller arrays).

A dual-controller array names its controllers ``<TAG>_A`` and
``<TAG>_B`` (``1`` on a single one, API-NOTES 10). A target is served by
the portals of its owner's portal groups; :class:`PortalMap` holds those
portals per owner, built either from the array's portal groups (each has
an owner) or from ``ngxstorage_portals_by_owner`` where one portal group
cannot tell (a group listing the addresses of both controllers, or
addresses that hosts reach through NAT). No Cinder imports: plain data.
"""

import ipaddress


def owner_matches(spec, owner):
    """Whether ``spec`` (``A``, ``B``, ``1`` or a full name) is ``owner``.

    ``A``/``B`` match ``<TAG>_A``/``<TAG>_B`` of any service tag.
    """
    if spec == owner:
        return True
    if spec.upper() in ('A', 'B') and owner:
        return owner.upper().endswith('_' + spec.upper())
    return False


def portal_address(text):
    """'host:port' of a portal: port 3260 added, IPv6 in brackets.

    ValueError when ``text`` is no IP address (with an optional port).
    """
    text = str(text).strip()
    port = '3260'
    if text.startswith('['):
        host, _sep, rest = text[1:].partition(']')
        if rest:
            if not rest.startswith(':'):
                raise ValueError(text)
            port = rest[1:]
    elif text.count(':') == 1:
        host, port = text.split(':')
    else:
        host = text
    address = ipaddress.ip_address(host)
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(text)
    if address.version == 6:
        return '[%s]:%d' % (address, int(port))
    return '%s:%d' % (address, int(port))


def parse_portals_by_owner(entries):
    """``[(owner spec, 'ip:port'), ...]`` from ``OWNER:IP[:PORT]`` items.

    Raises ValueError naming the first bad entry.
    """
    parsed = []
    for entry in entries:
        owner, sep, address = str(entry).strip().partition(':')
        if not sep or not owner or not address:
            raise ValueError(entry)
        try:
            parsed.append((owner, portal_address(address)))
        except ValueError:
            raise ValueError(entry)
    return parsed


class PortalMap(object):
    """Portals per controller, and the portals of any other owner.

    :param by_owner: ``[(owner spec, portal), ...]``: the portals of each
        controller, in order.
    :param fallback: portals for an owner no entry names (the configured
        portal group's or ``ngxstorage_iscsi_portals``).
    """

    def __init__(self, by_owner, fallback):
        self.by_owner = list(by_owner)
        self.fallback = list(fallback)

    def __repr__(self):
        return 'PortalMap(%r, fallback=%r)' % (self.by_owner, self.fallback)

    def portals(self, owner):
        """The portals serving targets of ``owner`` (never empty)."""
        found = [p for spec, p in self.by_owner
                 if owner_matches(spec, owner)]
        return found or list(self.fallback)

    def knows(self, owner):
        """Whether some entry names ``owner``."""
        return any(owner_matches(spec, owner) for spec, _p in self.by_owner)
