"""A stored CalcJobNode's ``retrieved`` folder planted from bytes, so that a parser can run on real output files."""

from aiida import orm
from aiida.common.links import LinkType


def plant_retrieved(node: orm.CalcJobNode, files: dict[str, bytes]) -> orm.FolderData:
    """Store ``files`` (name -> content) as the ``retrieved`` output of the stored ``node``."""
    retrieved = orm.FolderData()
    for name, content in files.items():
        retrieved.base.repository.put_object_from_bytes(content, name)
    retrieved.base.links.add_incoming(node, LinkType.CREATE, "retrieved")
    return retrieved.store()
