# Installs the grader's seccomp filter (seccomp-filter.ts wrote it to the file named first), then becomes the
# program (exec): the filter for `--sandbox uid`, where no bubblewrap is there to install it. Python only because
# its ctypes reaches prctl(2) on any Linux without a compiler or a library of ours; it runs for ~10 ms and is gone.
import ctypes, os, sys

PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 38, 22, 2


class SockFprog(ctypes.Structure):
    _fields_ = [('len', ctypes.c_ushort), ('filter', ctypes.c_void_p)]


with open(sys.argv[1], 'rb') as handle:
    program = handle.read()
buffer = ctypes.create_string_buffer(program, len(program))
fprog = SockFprog(len(program) // 8, ctypes.cast(buffer, ctypes.c_void_p))
libc = ctypes.CDLL(None, use_errno=True)
libc.prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_void_p, ctypes.c_ulong, ctypes.c_ulong]
if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, None, 0, 0) != 0 or libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.addressof(fprog), 0, 0) != 0:
    sys.stderr.write("the grader's seccomp filter could not be installed: %s\n" % os.strerror(ctypes.get_errno()))
    sys.exit(125)
os.execvp(sys.argv[2], sys.argv[2:])
