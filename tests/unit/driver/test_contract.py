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

"""The driver's contract with Cinder and os-brick, checked for real.

Cinder's own compliance test checks nothing on Python 3 (its interface
``__subclasshook__`` only collects bound methods), so this module does
the check itself: registration, DriverInfo, every interface method
resolved through the MRO to our module or to a real (not
NotImplementedError) Cinder implementation, signatures, and the
connection properties read by os-brick's iSCSI connector.
"""

import ast
import importlib
import inspect
import textwrap
from unittest import mock

from cinder import interface
from cinder.interface import base as interface_base
from cinder.interface import util as interface_util
from cinder.interface import volume_driver
from cinder.interface import volume_manageable_driver
from cinder.interface import volume_snapshot_revert
from cinder.interface import volume_snapshotmanagement_driver
from cinder.volume import driver as cinder_driver
from os_brick.initiator.connectors import iscsi
from oslo_config import cfg
import testtools

from cinder_ngxstorage import driver as ngx_driver
from cinder_ngxstorage import exception as ngx_exc
from tests.unit.driver import fakes

DRIVER = ngx_driver.NGXStorageISCSIDriver
OUR_PACKAGE = 'cinder_ngxstorage'

# Interfaces the driver claims: the core one, snapshot revert, and managing
# (and listing) existing volumes and snapshots.
CLAIMED_INTERFACES = (
    volume_driver.VolumeDriverCore,
    volume_snapshot_revert.VolumeSnapshotRevertDriver,
    volume_manageable_driver.VolumeManagementDriver,
    volume_manageable_driver.VolumeListManageableDriver,
    volume_snapshotmanagement_driver.VolumeSnapshotManagementDriver)

# What only the driver can do: Cinder's base classes leave these to it
# (stubs, or generic code that does not know the array).
OWN_METHODS = (
    'do_setup', 'check_for_setup_error', '_update_volume_stats',
    'create_volume', 'delete_volume', 'extend_volume',
    'create_snapshot', 'delete_snapshot', 'create_volume_from_snapshot',
    'create_cloned_volume', 'revert_to_snapshot',
    'snapshot_revert_use_temp_snapshot',
    'initialize_connection', 'terminate_connection',
    'create_export', 'ensure_export', 'remove_export',
    'get_driver_options',
    'manage_existing', 'manage_existing_get_size', 'unmanage',
    'manage_existing_snapshot', 'manage_existing_snapshot_get_size',
    'unmanage_snapshot', 'get_manageable_volumes',
    'get_manageable_snapshots', 'retype', 'update_migrated_volume',
    '_init_vendor_properties',
)


def interface_methods(iface):
    """Names of the methods (and properties) an interface declares."""
    return sorted(name for name, member in vars(iface).items()
                  if not name.startswith('__')
                  and (inspect.isfunction(member)
                       or isinstance(member, property)))


def defining_class(cls, name):
    """The class of cls's MRO whose namespace defines name."""
    for klass in cls.__mro__:
        if name in vars(klass):
            return klass
    return None


def is_not_implemented_stub(func):
    """True when func's body only raises NotImplementedError."""
    func = inspect.unwrap(func)
    source = textwrap.dedent(inspect.getsource(func))
    body = ast.parse(source).body[0].body
    if (body and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
            and isinstance(body[0].value.value, str)):
        body = body[1:]
    if len(body) != 1 or not isinstance(body[0], ast.Raise):
        return False
    exc = body[0].exc
    if isinstance(exc, ast.Call):
        exc = exc.func
    return isinstance(exc, ast.Name) and exc.id == 'NotImplementedError'


class RegistrationTestCase(testtools.TestCase):
    """The driver is registered and readable by Cinder's tooling."""

    def test_registered(self):
        """@interface.volumedriver put the class in the register."""
        self.assertIn(DRIVER, interface._volume_register)

    def test_driver_info(self):
        """DriverInfo reads version, CI name, support and options."""
        info = interface_util.DriverInfo(DRIVER)
        self.assertEqual('NGXStorageISCSIDriver', info.class_name)
        self.assertEqual('cinder_ngxstorage.driver.NGXStorageISCSIDriver',
                         info.class_fqn)
        self.assertEqual('1.1.0', info.version)
        self.assertRegex(info.version, r'^\d+\.\d+\.\d+$')
        self.assertEqual('NGXStorage_CI', info.ci_wiki_name)
        self.assertIs(True, info.supported)
        self.assertTrue(info.driver_options)
        for opt in info.driver_options:
            self.assertIsInstance(opt, cfg.Opt)
            self.assertTrue(opt.help, opt.name)
        names = [opt.name for opt in info.driver_options]
        self.assertEqual(len(names), len(set(names)))
        self.assertIn('ngxstorage_api_token', names)
        self.assertIn('san_ip', names)

    def test_docstring_and_version_history(self):
        """The class docstring says what it is and has a history."""
        doc = inspect.getdoc(DRIVER)
        self.assertIn('NGXStorage', doc)
        self.assertIn('Version history', doc)
        self.assertIn(DRIVER.VERSION, doc)

    def test_active_active(self):
        """The driver declares active-active support explicitly."""
        self.assertIn('SUPPORTS_ACTIVE_ACTIVE', vars(DRIVER))
        self.assertIs(True, DRIVER.SUPPORTS_ACTIVE_ACTIVE)

    def test_iscsi_driver(self):
        """An iSCSI driver: Cinder's ISCSIDriver is a base."""
        self.assertTrue(issubclass(DRIVER, cinder_driver.ISCSIDriver))


class InterfaceTestCase(testtools.TestCase):
    """Every interface method resolves to a real implementation."""

    def test_compliance_hook_is_vacuous(self):
        """Why this module exists: Cinder's own check sees no methods."""
        self.assertFalse(interface_base._get_method_info(
            volume_driver.VolumeDriverCore))

    def test_own_methods_defined_here(self):
        """The array-specific methods are defined in our package."""
        for name in OWN_METHODS:
            klass = defining_class(DRIVER, name)
            self.assertIsNotNone(klass, name)
            self.assertTrue(klass.__module__.startswith(OUR_PACKAGE),
                            '%s comes from %s.%s' % (
                                name, klass.__module__, klass.__name__))
            func = inspect.unwrap(getattr(DRIVER, name))
            self.assertTrue(func.__module__.startswith(OUR_PACKAGE), name)
            self.assertTrue(func.__qualname__.startswith(
                'NGXStorageISCSIDriver.'), func.__qualname__)

    def test_every_interface_method_implemented(self):
        """No claimed interface method resolves to a Cinder stub."""
        for iface in CLAIMED_INTERFACES:
            names = interface_methods(iface)
            self.assertTrue(names, iface.__name__)
            for name in names:
                klass = defining_class(DRIVER, name)
                self.assertIsNotNone(klass, '%s.%s missing'
                                     % (iface.__name__, name))
                member = vars(klass)[name]
                if isinstance(member, property):
                    self.assertIsNotNone(member.fget, name)
                    continue
                if isinstance(member, (staticmethod, classmethod)):
                    member = member.__func__
                if klass.__module__.startswith(OUR_PACKAGE):
                    continue
                self.assertFalse(
                    is_not_implemented_stub(member),
                    '%s.%s resolves to the stub of %s.%s'
                    % (iface.__name__, name, klass.__module__,
                       klass.__name__))

    def test_revert_interface_is_ours(self):
        """The optional revert interface is implemented by the driver."""
        for name in interface_methods(
                volume_snapshot_revert.VolumeSnapshotRevertDriver):
            klass = defining_class(DRIVER, name)
            self.assertTrue(klass.__module__.startswith(OUR_PACKAGE), name)

    def test_stub_detector(self):
        """The stub detector recognises BaseVD's stubs (self-check)."""
        self.assertTrue(is_not_implemented_stub(
            cinder_driver.BaseVD.create_cloned_volume)
            or is_not_implemented_stub(
                cinder_driver.VolumeDriver.create_cloned_volume))
        self.assertFalse(is_not_implemented_stub(DRIVER.create_volume))

    def test_signatures_accept_interface_calls(self):
        """Our methods take the arguments the interfaces declare."""
        for iface in CLAIMED_INTERFACES:
            for name in interface_methods(iface):
                declared = vars(iface)[name]
                if isinstance(declared, property) or isinstance(
                        inspect.getattr_static(DRIVER, name), property):
                    continue
                ours = getattr(DRIVER, name)
                params = [p for p in inspect.signature(declared)
                          .parameters.values()
                          if p.default is inspect.Parameter.empty
                          and p.kind in (p.POSITIONAL_ONLY,
                                         p.POSITIONAL_OR_KEYWORD)]
                try:
                    inspect.signature(ours).bind(
                        *[object() for _ in params])
                except TypeError as err:
                    self.fail('%s%s does not accept %s: %s' % (
                        name, inspect.signature(ours),
                        [p.name for p in params], err))

    def test_manager_calls_accepted(self):
        """The calls the volume manager makes bind to our signatures."""
        calls = {
            'terminate_connection': ((1, 2), {'force': True}),
            'initialize_connection': ((1, 2), {}),
            'revert_to_snapshot': ((1, 2, 3), {}),
            'create_export': ((1, 2, 3), {}),
            'ensure_export': ((1, 2), {}),
            'remove_export': ((1, 2), {}),
            'extend_volume': ((1, 2), {}),
            'retype': ((1, 2, 3, 4, 5), {}),
            'update_migrated_volume': ((1, 2, 3, 4), {}),
            'get_manageable_volumes': ((1, 2, 3, 4, 5, 6), {}),
            'get_manageable_snapshots': ((1, 2, 3, 4, 5, 6), {}),
        }
        for name, (args, kwargs) in calls.items():
            inspect.signature(getattr(DRIVER, name)).bind(
                object(), *args, **kwargs)


class OsBrickTestCase(fakes.DriverTestCase):
    """os-brick's iSCSI connector reads our connection properties."""

    def _props(self, portals=None, chap=True, lun=5):
        if portals is not None:
            self.configure(ngxstorage_iscsi_portals=portals)
        drv = self.ready_driver(chap=chap)
        client = self.client
        client.create_auth_group.return_value = {'id': fakes.GROUP_ID}
        client.add_auth_group_iqn.return_value = {'id': fakes.IQN_ENTRY_ID}
        client.create_target.return_value = {'id': fakes.TARGET_ID}
        client.get_target.return_value = fakes.target_detail(
            luns=[(fakes.VOL_ID, lun)])
        info = drv.initialize_connection(self.volume(), self.connector())
        self.assertEqual('iscsi', info['driver_volume_type'])
        return info['data']

    @staticmethod
    def _connector(multipath):
        return iscsi.ISCSIConnector(root_helper=None,
                                    use_multipath=multipath)

    def _no_discovery(self, connector):
        for name in ('_discover_iscsi_portals', '_get_discoverydb_portals'):
            patcher = mock.patch.object(
                connector, name, autospec=True, side_effect=AssertionError(
                    'os-brick would run discovery (%s)' % name))
            patcher.start()
            self.addCleanup(patcher.stop)

    def test_multipath_targets(self):
        """Multipath: one (portal, iqn, lun) per portal, no discovery."""
        props = self._props(lun=5)
        iqn = fakes.target_iqn()
        expected = [(portal, iqn, 5) for portal in fakes.PORTALS]
        connector = self._connector(multipath=True)
        self._no_discovery(connector)
        self.assertEqual(expected, connector._get_all_targets(props))
        self.assertEqual(expected, connector._get_ips_iqns_luns(
            props, discover=False))
        self.assertEqual(expected, connector._get_ips_iqns_luns(props))

    def test_iterated_targets_carry_auth(self):
        """Each per-path property set keeps the CHAP fields."""
        props = self._props()
        connector = self._connector(multipath=True)
        paths = list(connector._iterate_all_targets(props))
        self.assertEqual(len(fakes.PORTALS), len(paths))
        for path, portal in zip(paths, fakes.PORTALS):
            self.assertEqual(portal, path['target_portal'])
            self.assertEqual(fakes.target_iqn(), path['target_iqn'])
            self.assertEqual(5, path['target_lun'])
            self.assertEqual('CHAP', path['auth_method'])
            self.assertEqual(fakes.NAMES.chap_username(fakes.HOST),
                             path['auth_username'])
            self.assertEqual(fakes.CHAP_SECRET, path['auth_password'])
            self.assertNotIn('target_portals', path)

    def test_single_path(self):
        """Single path (one portal): one triple, singular fields agree."""
        props = self._props(portals=['198.51.100.7'], lun=0)
        connector = self._connector(multipath=False)
        self._no_discovery(connector)
        expected = [('198.51.100.7:3260', fakes.target_iqn(), 0)]
        self.assertEqual(expected, connector._get_all_targets(props))
        self.assertEqual(expected[0], (props['target_portal'],
                                       props['target_iqn'],
                                       props['target_lun']))
        paths = list(connector._iterate_all_targets(props))
        self.assertEqual(1, len(paths))
        self.assertEqual('CHAP', paths[0]['auth_method'])

    def test_single_path_fields_alone(self):
        """Without the plural fields the singular ones name the path."""
        props = self._props(lun=3)
        for key in ('target_portals', 'target_iqns', 'target_luns'):
            props.pop(key)
        connector = self._connector(multipath=False)
        self.assertEqual([(fakes.PORTALS[0], fakes.target_iqn(), 3)],
                         connector._get_all_targets(props))

    def test_without_chap(self):
        """CHAP off: os-brick sees no auth fields on any path."""
        props = self._props(chap=False)
        connector = self._connector(multipath=True)
        for path in connector._iterate_all_targets(props):
            self.assertNotIn('auth_method', path)
            self.assertNotIn('auth_password', path)

    def test_volume_id_and_discard(self):
        """volume_id and discard (report_discard_supported) reach Nova."""
        self.configure(report_discard_supported=True)
        props = self._props()
        self.assertEqual(fakes.VOLUME_UUID, props['volume_id'])
        self.assertIs(True, props['discard'])


class ManagerContractTestCase(fakes.DriverTestCase):
    """Cinder's volume manager code reacts to our answers as intended."""

    def setUp(self):
        super().setUp()
        # Imported here: the manager needs the Cinder objects registered
        # (fakes does that) before it is imported.
        self.manager_cls = importlib.import_module(
            'cinder.volume.manager').VolumeManager
        self.drv = self.ready_driver()
        self.mgr = mock.create_autospec(self.manager_cls, instance=True)
        self.mgr.driver = self.drv

    def test_revert_conflict_makes_manager_copy(self):
        """A refused in-place revert sends Cinder to its generic copy."""
        vol = self.volume()
        snap = self.snapshot(vol)
        self.client.restore_snapshot.side_effect = fakes.error(
            ngx_exc.Conflict, 'not the newest snapshot', 409)
        self.manager_cls._revert_to_snapshot(self.mgr, self.ctx, vol,
                                             snap)
        self.mgr._revert_to_snapshot_generic.assert_called_once_with(
            self.ctx, vol, snap)

    def test_revert_in_place_no_copy(self):
        """A successful in-place revert needs no copy."""
        vol = self.volume()
        snap = self.snapshot(vol)
        self.manager_cls._revert_to_snapshot(self.mgr, self.ctx, vol,
                                             snap)
        self.mgr._revert_to_snapshot_generic.assert_not_called()
        self.client.restore_snapshot.assert_called_once_with(fakes.SNAP_ID)

    def test_terminate_returns_bool(self):
        """terminate_connection answers a bool (the manager requires it)."""
        vol = self.volume()
        self.assertIs(False, self.drv.terminate_connection(
            vol, self.connector(), force=False))
        self.attachments(vol, (fakes.HOST, 'attached'),
                         (fakes.HOST, 'attached'))
        self.assertIs(True, self.drv.terminate_connection(
            vol, self.connector()))
