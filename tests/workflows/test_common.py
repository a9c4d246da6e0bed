"""clean_workdir: the remote folders of called calculations are emptied only when asked."""

import types

from aiida import orm
from aiida.common import LinkType

from aiida_orbmag.workflows.common import clean_remote_folders


def _stub(clean, calculation):
    reports = []
    node = types.SimpleNamespace(called_descendants=[calculation])
    process = types.SimpleNamespace(inputs=types.SimpleNamespace(clean_workdir=orm.Bool(clean)), node=node)
    process.report = reports.append
    return process, reports


def test_remote_folders_are_cleaned_only_on_request(aiida_profile, aiida_localhost, tmp_path):
    (tmp_path / "aiida.save").mkdir()
    (tmp_path / "aiida.save" / "charge-density.dat").write_text("large")
    calculation = orm.CalcJobNode(computer=aiida_localhost, process_type="aiida.calculations:quantumespresso.pw")
    calculation.set_option("resources", {"num_machines": 1})
    calculation.store()
    remote = orm.RemoteData(computer=aiida_localhost, remote_path=str(tmp_path))
    remote.base.links.add_incoming(calculation, LinkType.CREATE, "remote_folder")
    remote.store()

    process, reports = _stub(False, calculation)
    clean_remote_folders(process)
    assert (tmp_path / "aiida.save" / "charge-density.dat").exists() and reports == []

    process, reports = _stub(True, calculation)
    clean_remote_folders(process)
    assert not tmp_path.exists() and reports == [f"cleaned remote folders of calculations: {calculation.pk}"]
