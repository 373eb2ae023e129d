"""The files ./hmk exec takes from the images of its composition profiles (this package), by
their names in the initrd: the manifest and the services' domain programs. Tests that boot those
profiles through ./hmk exec's runner (test/linux, test/busybox) pass them as --image-file."""

IMAGES = "//tools/exec/images:"

IMAGE_FILES = {
    "split": {
        "manifest": IMAGES + "split.manifest",
        "bin/ramfs": IMAGES + "split_ramfs",
        "bin/vfs": IMAGES + "split_vfs",
        "bin/procmgr": IMAGES + "split_procmgr",
        "bin/memmgr": IMAGES + "split_memmgr",
    },
    "coalesced": {
        "manifest": IMAGES + "coalesced.manifest",
        "bin/services": IMAGES + "coalesced_services",
    },
    "kernel": {"manifest": IMAGES + "kernel.manifest"},
}
