"""Read process packages (folders, .zip files, single files) into named sources for deploying.

A package is a folder holding spiff-arena's process_model.json, with the .bpmn, .dmn and .json files of one
process. Its files are named "<folder>/<file>", so that packages deployed together keep their own forms and
their own process_model.json; files outside any package keep their bare names. The version stores each file
under its bare name, so a package deploys to the same version from its own folder, from a parent folder or
from a .zip.
"""

import stat
import zipfile
import zlib
from io import BytesIO
from pathlib import Path, PurePosixPath

from flask_babel import lazy_gettext as _l

from workflow_app.core.errors import InvalidInput

DEPLOYED_SUFFIXES = (".bpmn", ".dmn", ".json")
PACKAGE_MODEL = "process_model.json"
# process_model.json's {old formKey: schema file}: the JSON Schema form that takes the place of a hand-written form
# an older version's step names (its case's page, the API and the history use the newest version's file)
FORM_KEYS = "form_keys"
MAX_ZIP_ENTRIES = 200


def ui_schema_name(schema_name: str) -> str:
    """The ui schema that goes with a form's schema file by name: apply-schema.json -> apply-uischema.json."""
    stem = schema_name[: -len(".json")] if schema_name.endswith(".json") else schema_name
    return (stem[: -len("-schema")] if stem.endswith("-schema") else stem) + "-uischema.json"


def package_of(key: str) -> str:
    """The package a source belongs to ("" for a file outside any package)."""
    parent = str(PurePosixPath(key).parent)
    return "" if parent == "." else parent


def bare_name(key: str) -> str:
    """The name a version stores a source under: its file name without the package."""
    return PurePosixPath(key).name


def _ignored(path: PurePosixPath) -> bool:
    """Files a folder or a zip carries besides the model: hidden files, macOS's resource forks and other types."""
    return (
        path.suffix not in DEPLOYED_SUFFIXES
        or path.name.startswith(".")
        or any(part == "__MACOSX" or part.startswith(".") for part in path.parts[:-1])
    )


def _keyed(files: list[tuple[PurePosixPath, bytes]], root_name: str, where: str) -> dict[str, bytes]:
    """Name files found under one root (paths relative to it): each by the package folder nearest above it."""
    packages = {path.parent for path, _content in files if path.name == PACKAGE_MODEL}
    sources = {}
    for path, content in files:
        package = next((folder for folder in path.parents if folder in packages), None)
        if package is None:
            key = path.name
        else:
            key = f"{root_name if str(package) == '.' else package}/{path.name}"
        add_source(sources, key, content, where)
    return sources


def add_source(sources: dict[str, bytes], key: str, content: bytes, where: str) -> None:
    """Add one source; the same name twice with different contents is refused (which of them was meant?)."""
    if key in sources and sources[key] != content:
        raise InvalidInput(
            _l(
                "%(name)s is given twice with different contents (in %(where)s); rename one or "
                "deploy them one at a time",
                name=key,
                where=where,
            )
        )
    sources[key] = content


def folder_sources(folder: Path) -> dict[str, bytes]:
    """The deployable files of a folder and its sub-folders, named by their packages."""
    files = [
        (PurePosixPath(path.relative_to(folder).as_posix()), path.read_bytes())
        for path in sorted(folder.rglob("*"))
        if path.is_file() and not _ignored(PurePosixPath(path.relative_to(folder).as_posix()))
    ]
    return _keyed(files, folder.resolve().name, str(folder))


def _entry_name(info: zipfile.ZipInfo) -> str:
    """An entry's name as its author wrote it: zips made on Chinese Windows name their entries in GBK, not UTF-8."""
    name = info.filename
    if not info.flag_bits & 0x800:  # no UTF-8 flag: zipfile read the name as CP437
        raw = name.encode("cp437", errors="replace")
        for encoding in ("utf-8", "gb18030"):
            try:
                name = raw.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
    return name.replace("\\", "/")


def _unsafe(name: str) -> bool:
    path = PurePosixPath(name)
    return path.is_absolute() or ".." in path.parts or (len(name) > 1 and name[1] == ":")


def zip_sources(zip_name: str, content: bytes, max_bytes: int) -> dict[str, bytes]:
    """The deployable files of a .zip of a package folder (or of its files): refused whole when an entry is unsafe.

    Refused: entries with absolute paths or "..", more than MAX_ZIP_ENTRIES entries, more than `max_bytes`
    uncompressed in total, a zip inside the zip, encrypted entries, and a file that is not a zip.
    """
    try:
        archive = zipfile.ZipFile(BytesIO(content))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError):
        raise InvalidInput(_l("%(name)s is not a readable .zip file", name=zip_name)) from None
    with archive:
        infos = archive.infolist()
        if len(infos) > MAX_ZIP_ENTRIES:
            raise InvalidInput(
                _l(
                    "%(name)s holds %(count)d entries; a package may hold at most %(max)d",
                    name=zip_name,
                    count=len(infos),
                    max=MAX_ZIP_ENTRIES,
                )
            )
        if sum(info.file_size for info in infos) > max_bytes:
            raise InvalidInput(
                _l("%(name)s is larger than %(mb)d MB unpacked", name=zip_name, mb=max_bytes // (1024 * 1024))
            )
        files = []
        for info in infos:
            name = _entry_name(info)
            if _unsafe(name):
                raise InvalidInput(
                    _l(
                        "%(name)s: the entry %(entry)s points outside the package (an absolute "
                        "path or ..); nothing was deployed",
                        name=zip_name,
                        entry=name,
                    )
                )
            if name.lower().endswith(".zip"):
                raise InvalidInput(
                    _l(
                        "%(name)s: the entry %(entry)s is a zip inside the zip; unpack it and zip "
                        "the package folder once",
                        name=zip_name,
                        entry=name,
                    )
                )
            if stat.S_ISLNK(info.external_attr >> 16):
                raise InvalidInput(
                    _l(
                        "%(name)s: the entry %(entry)s is a symbolic link; zip the files themselves",
                        name=zip_name,
                        entry=name,
                    )
                )
            path = PurePosixPath(name)
            if info.is_dir() or _ignored(path):
                continue
            if info.flag_bits & 0x1:
                raise InvalidInput(
                    _l(
                        "%(name)s: the entry %(entry)s is encrypted; zip the package without a password",
                        name=zip_name,
                        entry=name,
                    )
                )
            try:
                files.append((path, archive.read(info)))
            except (zipfile.BadZipFile, zlib.error, NotImplementedError, ValueError, OSError, EOFError) as exc:
                raise InvalidInput(
                    _l(
                        "%(name)s: the entry %(entry)s cannot be read: %(reason)s",
                        name=zip_name,
                        entry=name,
                        reason=str(exc) or type(exc).__name__,
                    )
                ) from None
    # a zip of a folder holds that folder: its files are named as if the folder itself was given
    tops = {path.parts[0] for path, _content in files if len(path.parts) > 1}
    if len(tops) == 1 and all(len(path.parts) > 1 for path, _content in files):
        top = tops.pop()
        return _keyed([(PurePosixPath(*path.parts[1:]), data) for path, data in files], top, zip_name)
    return _keyed(files, PurePosixPath(zip_name).stem, zip_name)
