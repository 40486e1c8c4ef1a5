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

"""Sphinx configuration of the release notes."""

extensions = ['reno.sphinxext', 'openstackdocstheme']
project = 'cinder-ngxstorage Release Notes'
copyright = '2026, cinder-ngxstorage developers'
master_doc = 'index'
source_suffix = '.rst'
html_theme = 'openstackdocs'
openstackdocs_repo_name = 'x/cinder-ngxstorage'
openstackdocs_bug_project = 'cinder-ngxstorage'
openstackdocs_bug_tag = 'releasenotes'
openstackdocs_use_storyboard = False
openstackdocs_auto_name = False
# The theme's default analytics code is openstack.org's: not for this site.
html_theme_options = {'analytics_tracking_code': ''}
