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

"""The parts of the simulator's array model.

``simulator.state.ArrayState`` is composed of these parts; each module
owns one concern (see ``doc/source/simulator-model.rst``):

* :mod:`.base` -- the records, construction, ids, lookups, shared rules;
* :mod:`.capacity` -- pool usage, its indexes, relations between objects;
* :mod:`.luns`, :mod:`.snapshots` (with schedules and :mod:`.cron`),
  :mod:`.exports` (targets, auth groups, portal groups, data-plane
  mirror), :mod:`.status` (pools, health, licence, ``status.*``) and
  :mod:`.logs` -- the operations, keeping the model's invariants;
* :mod:`.controllers` -- failover and failback of two controllers;
* :mod:`.views` -- the documented answer shapes;
* :mod:`.persistence` -- dump and load;
* :mod:`.errors` -- domain errors, :mod:`.readings` -- the switches
  (error statuses, shapes, dependency rules), :mod:`.dispatch` -- the
  operation layer that runs a part's method as an API operation.
"""
