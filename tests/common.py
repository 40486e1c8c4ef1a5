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

"""The fixtures every test tier shares (and the benchmarks).

One place for what the unit driver tests, the functional driver tests
(and the data plane tests on them), the stack tests and the benchmarks
all need:

* Cinder object factories: :func:`volume`, :func:`snapshot` (with the
  ``volume_size`` Cinder records, and ``available`` as Cinder requires
  for a revert), :func:`attach` (an attachment, with the volume
  ``in-use`` as Cinder leaves it) and :func:`connector` (what os-brick
  sends, with host, initiator and multipath options);
* :class:`Coordination`: Cinder's lock coordinator on a file backend in a
  temporary directory, stopped and its directory removed on clean-up;
* :class:`SecretLeakDetector` (from :mod:`tests.secret_leaks`): the
  secret-leak detector installed for one test and removed after it;
* :func:`tls_files`: a private CA and a certificate for 127.0.0.1 and
  localhost, written as PEM files for an HTTPS simulator.

Each tier's base class builds on these; no tier has its own copy.
"""

import os
import uuid

from cinder import coordination
from cinder import exception
from cinder import objects
from cinder.tests.unit import fake_snapshot
from cinder.tests.unit import fake_volume
from cinder.volume import configuration
from cinder.volume import driver as cinder_driver
from cinder.volume.drivers.san import san
import fixtures
from oslo_config import cfg
import trustme

from cinder_ngxstorage import options
from tests.secret_leaks import SecretLeakDetector

CONF = cfg.CONF
objects.register_all()

BACKEND = 'ngx'
SERVICE_HOST = 'cinder'


def volume(ctx, size=1, pool='pool1', backend=BACKEND,
           service_host=SERVICE_HOST, **updates):
    """A Cinder volume object on backend (in pool; None: no pool part).

    A random id unless given; ``volume_type`` (an object) is set after
    the volume is made, as Cinder loads it.
    """
    updates.setdefault('id', str(uuid.uuid4()))
    updates.setdefault('host', '%s@%s#%s' % (service_host, backend, pool)
                       if pool else '%s@%s' % (service_host, backend))
    vtype = updates.pop('volume_type', None)
    vol = fake_volume.fake_volume_obj(ctx, size=size, **updates)
    if vtype is not None:
        vol.volume_type = vtype
    return vol


def snapshot(ctx, vol, **updates):
    """A Cinder snapshot object of vol, as Cinder makes it.

    ``volume_size`` is the volume's size (Cinder records the size the
    volume has when the snapshot is taken) and the status ``available``.
    """
    updates.setdefault('id', str(uuid.uuid4()))
    updates.setdefault('volume_id', vol.id)
    updates.setdefault('volume_size', vol.size)
    updates.setdefault('status', 'available')
    snap = fake_snapshot.fake_snapshot_obj(ctx, **updates)
    snap.volume = vol
    return snap


def attach(vol, host, status='attached', ctx=None):
    """Add an attachment of vol on host; return it.

    With an ``attached`` attachment the volume is ``in-use`` and
    attached, as Cinder leaves it.
    """
    att = objects.VolumeAttachment(
        context=ctx, id=str(uuid.uuid4()), volume_id=vol.id,
        attached_host=host, attach_status=status)
    current = list(vol.volume_attachment or ())
    vol.volume_attachment = objects.VolumeAttachmentList(
        objects=current + [att])
    if status == 'attached':
        vol.status = 'in-use'
        vol.attach_status = 'attached'
    return att


def backend_options(array, pools, **extra):
    """The backend options pointing a driver at array.

    array: a simulator, or anything with its url, token and
    portal_group_id. Typed values, as ``CONF.set_override`` takes them.
    """
    scheme, _sep, rest = array.url.partition('://')
    host, _sep, port = rest.rpartition(':')
    settings = {
        'volume_backend_name': BACKEND,
        'san_ip': host,
        'san_api_port': int(port),
        'ngxstorage_use_https': scheme == 'https',
        'ngxstorage_api_token': array.token,
        'ngxstorage_pools': list(pools),
        'ngxstorage_portal_group': array.portal_group_id,
        'ngxstorage_api_retries': 1,
        'ngxstorage_api_timeout': 10,
    }
    settings.update(extra)
    return settings


def driver_configuration(group, **values):
    """A backend configuration section named group with values set."""
    conf = configuration.Configuration(cinder_driver.volume_opts,
                                       config_group=group)
    conf.append_config_values(san.san_opts)
    conf.append_config_values(options.NGXSTORAGE_OPTS)
    for key, value in values.items():
        CONF.set_override(key, value, group=group)
    return conf


def initiator_of(host):
    """A stable initiator IQN for a host name."""
    return 'iqn.1993-08.org.debian:01:%s' % uuid.uuid5(
        uuid.NAMESPACE_DNS, host).hex[:12]


def connector(host='compute-1', initiator=None, multipath=True,
              ip='192.0.2.1', os_type='linux2', **extra):
    """A connector as os-brick builds it (initiator from host if None)."""
    conn = {'host': host, 'initiator': initiator or initiator_of(host),
            'ip': ip, 'platform': 'x86_64', 'os_type': os_type,
            'multipath': multipath}
    conn.update(extra)
    return conn


class InitiatorData(object):
    """The part of Cinder's database driver_initiator_data uses.

    One instance is the database of one deployment: give it as ``db`` to
    every driver of that deployment (the CHAP secrets, the generated
    namespace); another instance is another deployment.
    """

    def __init__(self):
        self.rows = {}

    def driver_initiator_data_get(self, context, initiator, namespace):
        return [{'key': key, 'value': value}
                for (i, n, key), value in self.rows.items()
                if (i, n) == (initiator, namespace)]

    def driver_initiator_data_insert_by_key(self, context, initiator,
                                            namespace, key, value):
        if (initiator, namespace, key) in self.rows:
            raise exception.DriverInitiatorDataExists(
                initiator=initiator, namespace=namespace, key=key)
        self.rows[(initiator, namespace, key)] = value

    def namespace(self):
        """The deployment namespace a driver generated here, or None."""
        return self.rows.get(('deployment', 'ngxstorage', 'namespace'))


class Coordination(fixtures.Fixture):
    """Cinder's lock coordinator on file locks, stopped on clean-up.

    The locks live in a temporary directory (removed after), unless
    backend_url is given (a directory other processes share). When the
    coordinator runs already (Cinder's own services started it) it is
    left alone.
    """

    def __init__(self, backend_url=None):
        super().__init__()
        self.backend_url = backend_url

    def _setUp(self):
        objects.register_all()
        if coordination.COORDINATOR.started:
            self.backend_url = CONF.coordination.backend_url
            return
        if self.backend_url is None:
            lock_dir = self.useFixture(fixtures.TempDir()).path
            self.backend_url = 'file://' + lock_dir
        CONF.set_override('backend_url', self.backend_url,
                          group='coordination')
        self.addCleanup(CONF.clear_override, 'backend_url',
                        group='coordination')
        coordination.COORDINATOR.start()
        self.addCleanup(coordination.COORDINATOR.stop)


def detect_leaks(test):
    """Install a SecretLeakDetector for test (testtools or unittest).

    Call it first in setUp: the detector then sees every secret the test
    makes, and its check (on clean-up) runs after every other clean-up.
    """
    detector = SecretLeakDetector(test.id())
    if hasattr(test, 'useFixture'):
        return test.useFixture(detector)
    detector.setUp()
    test.addCleanup(detector.cleanUp)
    return detector


def tls_files(directory):
    """Write a private CA and a server certificate into ``directory``.

    :returns: ``(cert_file, key_file, ca_file)``: the certificate chain and
        key for 127.0.0.1 and localhost, and the CA that signed them.
    """
    ca = trustme.CA()
    cert = ca.issue_cert('127.0.0.1', 'localhost')
    cert_file = os.path.join(directory, 'cert.pem')
    key_file = os.path.join(directory, 'key.pem')
    ca_file = os.path.join(directory, 'ca.pem')
    cert.private_key_and_cert_chain_pem.write_to_path(cert_file)
    cert.private_key_pem.write_to_path(key_file)
    ca.cert_pem.write_to_path(ca_file)
    return cert_file, key_file, ca_file
