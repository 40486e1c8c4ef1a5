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

"""``ngxstorage-array-check``: the acceptance kit for a real array.

Run once against an array (or the simulator) on a scratch pool, it
exercises every assumption the driver makes about the API reference,
prints one row per assumption (reference lines, what the array did, what
the driver on main will do) and the set of
:mod:`~cinder_ngxstorage.simulator.variants` the array matches, and
removes every object it made (also after Ctrl-C or a killed run, from its
journal).

Parts: :mod:`.wire` (raw HTTP, to see shapes the client would hide),
:mod:`.journal` (what was made, and the sweep that removes it),
:mod:`.probes` (one probe per assumption), :mod:`.driver_table` (what the
driver does under each reading), :mod:`.initiator` (the login checks),
:mod:`.report` and :mod:`.cli`. See ``doc/source/array-check.rst``.
"""

#: Every object the kit makes has a name starting with this (and a random
#: part); nothing else is ever changed or removed.
NAME_PREFIX = 'ngxchk'
