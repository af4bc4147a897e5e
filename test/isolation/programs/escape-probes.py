# Escape probes a hostile student's program runs (spawned by its main.ts): each prints one line,
# "probe <name>: refused (<errno>)" or "probe <name>: ESCAPED (<what>)". Only a sandbox that holds refuses all.
import ctypes, ctypes.util, errno, json, os, socket, sys

libc = ctypes.CDLL(ctypes.util.find_library('c'), use_errno=True)
targets = json.load(open(sys.argv[1])) if len(sys.argv) > 1 else {}

def grader_pids():
    found = []
    for name in os.listdir('/proc'):
        if not name.isdigit() or int(name) == os.getpid(): continue
        try:
            cmdline = open('/proc/%s/cmdline' % name, 'rb').read().replace(b'\0', b' ')
        except OSError:
            continue
        if b'grader/cli/main.js' in cmdline: found.append(int(name))
    return found

graders = grader_pids()
targets.setdefault('graderPid', graders[0] if graders else os.getppid())

def report(name, ok, detail):
    print(f"probe {name}: {'ESCAPED' if ok else 'refused'} ({detail})", flush=True)

def call(name, fn):
    ctypes.set_errno(0)
    result = fn()
    err = ctypes.get_errno()
    report(name, result >= 0, 'returned %d' % result if result >= 0 else errno.errorcode.get(err, str(err)))

class FileHandle(ctypes.Structure):
    _fields_ = [('handle_bytes', ctypes.c_uint), ('handle_type', ctypes.c_int), ('f_handle', ctypes.c_char * 128)]

def open_by_handle():
    handle = FileHandle(); handle.handle_bytes = 128
    mount_id = ctypes.c_int()
    if libc.name_to_handle_at(-100, b'/', ctypes.byref(handle), ctypes.byref(mount_id), 0) != 0:
        return -1
    fd = os.open('/', os.O_RDONLY)
    return libc.open_by_handle_at(fd, ctypes.byref(handle), os.O_RDONLY)

call('open_by_handle_at', open_by_handle)
MS_REMOUNT, MS_BIND = 32, 4096
call('remount-rw', lambda: libc.mount(None, b'/', None, MS_REMOUNT | MS_BIND, None))
call('mount-tmpfs', lambda: libc.mount(b'none', b'/tmp', b'tmpfs', 0, None))
call('unshare-user', lambda: libc.unshare(0x10000000))
call('unshare-mount-net', lambda: libc.unshare(0x00020000 | 0x40000000))
PTRACE_ATTACH = 16
call('ptrace-parent', lambda: libc.ptrace(PTRACE_ATTACH, os.getppid(), None, None))
call('ptrace-grader', lambda: libc.ptrace(PTRACE_ATTACH, targets['graderPid'], None, None))
try:
    raw = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
    report('sniff-loopback', True, 'opened a raw packet socket')
except OSError as error:
    report('sniff-loopback', False, errno.errorcode.get(error.errno, str(error.errno)))

status = open('/proc/self/status').read()
cap_eff = int([line for line in status.splitlines() if line.startswith('CapEff:')][0].split()[1], 16)
nnp = [line for line in status.splitlines() if line.startswith('NoNewPrivs:')][0].split()[1]
report('capabilities', cap_eff != 0, 'CapEff=%x' % cap_eff)
report('uid-0', os.getuid() == 0 or os.geteuid() == 0, 'uid=%d' % os.getuid())
report('no-new-privs-off', nnp != '1', 'NoNewPrivs=' + nnp)

def try_write(name, path, text):
    try:
        with open(path, 'w') as handle: handle.write(text)
        report(name, True, 'wrote ' + path)
    except OSError as error:
        report(name, False, errno.errorcode.get(error.errno, str(error.errno)))

def try_read(name, path):
    try:
        with open(path, 'rb') as handle: data = handle.read(64)
        report(name, True, 'read %d bytes of %s' % (len(data), path))
    except OSError as error:
        report(name, False, errno.errorcode.get(error.errno, str(error.errno)))

def try_list(name, path):
    try:
        entries = os.listdir(path)
        # An empty folder where the sandbox hides one shows nothing of anyone.
        report(name, len(entries) > 0, 'listed %d entries of %s' % (len(entries), path))
    except OSError as error:
        report(name, False, errno.errorcode.get(error.errno, str(error.errno)))

# cgroup files: our own cgroup's limits, and the hierarchy's root.
for line in open('/proc/self/cgroup').read().splitlines():
    _, controllers, where = line.split(':', 2)
    for controller, limit in [('memory', 'memory.limit_in_bytes'), ('pids', 'pids.max')]:
        if controller in controllers.split(','):
            try_write('cgroup-' + controller, '/sys/fs/cgroup/%s%s/%s' % (controller, where, limit), '-1')
    if controllers == '':
        try_write('cgroup-v2-memory', '/sys/fs/cgroup%s/memory.max' % where, 'max')
try_write('cgroup-root-procs', '/sys/fs/cgroup/memory/cgroup.procs', str(os.getpid()))
for name, path in targets.get('read', {}).items(): try_read('read-' + name, path)
for name, path in targets.get('list', {}).items(): try_list('list-' + name, path)
for name, path in targets.get('write', {}).items(): try_write('write-' + name, path, 'forged by a student program')
if graders:
    try_read('grader-environ', '/proc/%d/environ' % graders[0])
    try_read('grader-stdout', '/proc/%d/fd/1' % graders[0])
else:
    report('grader-environ', False, 'no grader process visible')
