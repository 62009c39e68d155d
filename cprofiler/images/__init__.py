"""The images cprofiler builds: the scenario's (``build``), the runtime floor (``floor``) and the
offline stand-in bases a scenario may fall back to (``bases``)."""
