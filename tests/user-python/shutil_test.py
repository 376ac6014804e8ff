# Python's shutil copies a file with its metadata (copy2, which also
# copies extended attributes through os.listxattr and os.setxattr) and a
# whole tree (copytree, whose default is copy2). Prints "python shutil ok".
import os
import shutil

os.mkdir("/tmp/tree")
with open("/tmp/tree/file", "w") as f:
    f.write("contents")
os.setxattr("/tmp/tree/file", "user.colour", b"blue")
os.chmod("/tmp/tree/file", 0o640)
shutil.copy2("/tmp/tree/file", "/tmp/copy")
assert os.getxattr("/tmp/copy", "user.colour") == b"blue"
assert os.stat("/tmp/copy").st_mode & 0o777 == 0o640
shutil.copytree("/tmp/tree", "/tmp/tree2")
assert open("/tmp/tree2/file").read() == "contents"
assert os.listxattr("/tmp/tree2/file") == ["user.colour"]
print("python shutil ok")
