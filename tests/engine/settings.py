"""Where the engine tests find the setup script and the driver, and the names and ports of their own instance."""

import pathlib

REPOSITORY = pathlib.Path(__file__).parents[2]
SCRIPT = REPOSITORY / "tools" / "engine" / "start.sh"
DRIVER = REPOSITORY / "tests" / "engine" / "driver.py"
PROFILE, COMPUTER = "engine-tests", "slurm-ssh"
#: the script's defaults + 10, so that tests and a user's own instance can run side by side
PORTS = {
    "PG_PORT": 54339,
    "AMQP_PORT": 56739,
    "DIST_PORT": 56740,
    "EPMD_PORT": 43700,
    "SSH_PORT": 22032,
    "SLURMCTLD_PORT": 16827,
    "SLURMD_PORT": 16828,
    "SLURMDBD_PORT": 16829,
}
