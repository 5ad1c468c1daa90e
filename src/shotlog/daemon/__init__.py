"""The event daemon: runs shotgunEvents plugins on shotlog's event log (see docs/daemon.md).

Modules, from the plugin's side inwards: ``conf`` (the configuration file), ``registrar`` and
``matching`` (the plugin contract), ``plugins`` (loading files), ``events`` (event dicts),
``sources`` (where events come from), ``engine`` (the control loop; one ``worker`` per plugin,
``reloader`` for changed files), ``calls`` (one callback call), ``checkpoint`` (a plugin's cursor:
its ``progress`` file and its ``cursors`` row), ``alerts``, ``logs``, ``status`` (the API the CLI,
REST and web UI share), ``legacy`` (importing shotgunEvents' state), ``replay``, ``template`` and
``launch`` (assembly).
"""
