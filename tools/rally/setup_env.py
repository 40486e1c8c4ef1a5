#!/usr/bin/env python3
"""Prepare the stack for Rally, in one process (openstack CLI calls cost
some 3 s each): one public volume type per backend, two users in projects
of their own with the member role and no volume quotas, and Rally's
environment spec (JSON, with the passwords: mode 600) on stdout.

Run with the Rally virtualenv (keystoneclient, cinderclient) and the
OS_* variables of $STACK_WORK/stack.env.

Usage: setup_env.py TYPE=VOLUME_BACKEND_NAME... > env.json
"""

import json
import os
import secrets
import sys

from cinderclient import client as cinder_client
from keystoneauth1 import loading
from keystoneauth1 import session as ks_session
from keystoneclient.v3 import client as ks_client


def main(argv):
    env = os.environ
    auth = loading.get_plugin_loader('password').load_from_options(
        auth_url=env['OS_AUTH_URL'], username=env['OS_USERNAME'],
        password=env['OS_PASSWORD'], project_name=env['OS_PROJECT_NAME'],
        user_domain_name=env['OS_USER_DOMAIN_NAME'],
        project_domain_name=env['OS_PROJECT_DOMAIN_NAME'])
    sess = ks_session.Session(auth=auth)
    keystone = ks_client.Client(session=sess)
    cinder = cinder_client.Client('3', session=sess,
                                  service_type='block-storage')
    for spec in argv:
        name, backend = spec.split('=', 1)
        vtype = cinder.volume_types.create(name, is_public=True)
        vtype.set_keys({'volume_backend_name': backend})
    member = [r for r in keystone.roles.list() if r.name == 'member'][0]
    users = []
    for i in (1, 2):
        name = 'rally-%d' % i
        password = secrets.token_hex(12)
        project = keystone.projects.create(name, 'default')
        user = keystone.users.create(name, domain='default',
                                     password=password,
                                     default_project=project)
        keystone.roles.grant(member, user=user, project=project)
        cinder.quotas.update(project.id, volumes=-1, snapshots=-1,
                             gigabytes=-1)
        users.append({'username': name, 'password': password,
                      'project_name': name, 'user_domain_name': 'Default',
                      'project_domain_name': 'Default'})
    spec = {'openstack': {
        'auth_url': env['OS_AUTH_URL'], 'region_name': 'RegionOne',
        'endpoint_type': 'public',
        'admin': {'username': env['OS_USERNAME'],
                  'password': env['OS_PASSWORD'],
                  'project_name': env['OS_PROJECT_NAME'],
                  'user_domain_name': env['OS_USER_DOMAIN_NAME'],
                  'project_domain_name': env['OS_PROJECT_DOMAIN_NAME']},
        'users': users}}
    json.dump(spec, sys.stdout, indent=1)
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
