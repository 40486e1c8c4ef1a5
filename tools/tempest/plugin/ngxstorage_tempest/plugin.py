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

"""Tempest plugin entry point of the local NGXStorage stack."""

import os

from tempest.test_discover import plugins


class NGXStorageLocalPlugin(plugins.TempestPlugin):
    """Adds ngxstorage_tempest.tests to what Tempest discovers."""

    def load_tests(self):
        """(test dir, top level dir) of this plugin's tests."""
        base = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        return os.path.join(base, 'ngxstorage_tempest', 'tests'), base

    def register_opts(self, conf):
        """No options of its own."""

    def get_opt_lists(self):
        """No options of its own."""
        return []
