# Installs the grader's seccomp filter (seccomp-filter.ts wrote it to the file named first), asks the kernel to
# kill the program when the grader (the pid named second) dies, then becomes the program (exec): for
# `--sandbox uid`, where no bubblewrap does either (a parent-death signal set before the uid changed is cleared by
# the change). Python only because its ctypes reaches prctl(2) on any Linux without a compiler or a library of
# ours; it runs for ~10 ms and is gone.
import ctypes, os, signal, sys

PR_SET_PDEATHSIG, PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 1, 38, 22, 2


class SockFprog(ctypes.Structure):
    _fields_ = [('len', ctypes.c_ushort), ('filter', ctypes.c_void_p)]


filter_file, grader = sys.argv[1], int(sys.argv[2])
with open(filter_file, 'rb') as handle:
    program = handle.read()
buffer = ctypes.create_string_buffer(program, len(program))
fprog = SockFprog(len(program) // 8, ctypes.cast(buffer, ctypes.c_void_p))
libc = ctypes.CDLL(None, use_errno=True)
libc.prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_void_p, ctypes.c_ulong, ctypes.c_ulong]
# The grader may have died before the signal was asked for: then nothing will send it. (0: the grader's watchdog
# shell is the parent, and kills its whole group when the grader dies.)
if grader != 0 and (libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, None, 0, 0) != 0 or os.getppid() != grader):
    sys.exit(125)
if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, None, 0, 0) != 0 or libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.addressof(fprog), 0, 0) != 0:
    sys.stderr.write("the grader's seccomp filter could not be installed: %s\n" % os.strerror(ctypes.get_errno()))
    sys.exit(125)
os.execvp(sys.argv[3], sys.argv[3:])
