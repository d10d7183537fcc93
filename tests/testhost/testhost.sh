#!/bin/bash
#
# testhost.sh: run a command inside the twinbox test host, a nested L1
# virtual machine (QEMU with TCG, -cpu max, which emulates AMD SVM with
# nested paging), so that KVM integration tests get a hardware-style
# /dev/kvm on machines without one (for example a PVM guest). See README.md.
#
# Usage: testhost.sh [--timeout SECONDS] [--memory MiB] [--cpus N]
#                    [--share DIR]... [--force] [--verbose] -- COMMAND [ARG]...
#
# Exit status: COMMAND's own status; 124 on timeout; 77 when the test host
# cannot run here (no QEMU, no kernel: ctest counts it as skipped); 125 when
# the test host itself failed; 2 for a usage error.

set -euo pipefail

script_path=$(realpath "${BASH_SOURCE[0]}")
readonly script_path
readonly init_script=${script_path%/*}/init.sh
readonly qemu=${TWINBOX_TESTHOST_QEMU:-qemu-system-x86_64}
readonly cache_root=${TWINBOX_TESTHOST_CACHE:-/var/tmp/twinbox-testhost}
readonly qboot=/usr/share/qemu/qboot.rom
# After the L1 reported the command's status it only has to power off: if
# QEMU is still running this long after, the L1 hung on the way down (seen
# with TCG), and the run ends with the reported status anyway.
readonly poweroff_grace_seconds=${TWINBOX_TESTHOST_POWEROFF_GRACE:-30}

# Top-level kernel modules of the L1: "GROUP NAME [PARAMETERS]"; their
# dependencies come from modules.dep. kvm-amd gives /dev/kvm (nested=1 lets
# the L2 guests use SVM themselves, npt=1 keeps nested paging, which is 3-4x
# faster than shadow paging under TCG); virtio_pci, 9pnet_virtio and 9p
# mount the host's file systems; overlay builds /tmp; virtio_console carries
# the command's output. init.sh loads the two groups in parallel (KVM's
# modules take a second or two to load under TCG).
readonly top_modules=(
    "kvm kvm-amd nested=1 npt=1"
    "fs virtio_pci"
    "fs 9pnet_virtio"
    "fs 9p"
    "fs overlay"
    "fs virtio_console"
)

timeout_seconds=600
memory_mib=2048
cpus=2
force=${TWINBOX_TESTHOST_FORCE:-0}
verbose=0
shares=()
run_dir=""
qemu_pid=""
relay_pid=""

usage() {
    cat <<'EOF'
usage: testhost.sh [--timeout SECONDS] [--memory MiB] [--cpus N]
                   [--share DIR]... [--force] [--verbose] -- COMMAND [ARG]...

Runs COMMAND inside the twinbox test host (a nested QEMU/TCG VM with
kvm-amd nested=1, so /dev/kvm works), in a chroot of this machine's root
file system (read-only), with the caller's working directory and
environment. Prints COMMAND's output on stdout and exits with its status.

  --timeout SECONDS  kill the test host after this long, exit 124 (600)
  --memory MiB       L1 memory (2048)
  --cpus N           L1 vCPUs (2)
  --share DIR        share DIR read-write at the same path (repeatable)
  --force            use the test host even where /dev/kvm is VMX/SVM
  --verbose          show the L1 boot log and timings on stderr

Environment: TWINBOX_TESTHOST_CACHE (cache directory, default
/var/tmp/twinbox-testhost), TWINBOX_TESTHOST_KERNEL (a vmlinuz),
TWINBOX_TESTHOST_FORCE=1 (same as --force), TWINBOX_TESTHOST_QEMU (the
QEMU binary).

Exit status: COMMAND's; 124 timeout; 77 cannot run here (skip); 125 the
test host failed; 2 usage error. See tests/testhost/README.md.
EOF
}

say() {
    echo "testhost: $*" >&2
}

die() {
    say "error: $*"
    exit 125
}

# ctest counts exit status 77 as "skipped" (SKIP_RETURN_CODE).
skip() {
    echo "testhost: skipped: $*" >&2
    exit 77
}

elapsed() {
    local now
    now=$(date +%s%N)
    printf '%d.%02d' $(((now - start_ns) / 1000000000)) \
        $(((now - start_ns) / 10000000 % 100))
}

trace() {
    if ((verbose)); then
        say "[+$(elapsed) s] $*"
    fi
}

parse_arguments() {
    while (($# > 0)); do
        case $1 in
        --timeout) timeout_seconds=${2:?--timeout needs a value}; shift 2 ;;
        --memory) memory_mib=${2:?--memory needs a value}; shift 2 ;;
        --cpus) cpus=${2:?--cpus needs a value}; shift 2 ;;
        --share) shares+=("${2:?--share needs a directory}"); shift 2 ;;
        --force) force=1; shift ;;
        --verbose) verbose=1; shift ;;
        -h | --help) usage; exit 0 ;;
        --) shift; break ;;
        -*) usage >&2; exit 2 ;;
        *) break ;;
        esac
    done
    command_argv=("$@")
    if ((${#command_argv[@]} == 0)); then
        usage >&2
        exit 2
    fi
    local number
    for number in "$timeout_seconds" "$memory_mib" "$cpus"; do
        [[ $number =~ ^[1-9][0-9]*$ ]] || {
            say "not a positive number: $number"
            exit 2
        }
    done
}

# On a host whose /dev/kvm is backed by VMX or SVM (kvm_intel or kvm_amd
# loaded), tests need no test host. PVM (kvm_pvm) cannot run unmodified
# Linux guests, so it does not count.
host_has_hardware_kvm() {
    [[ -c /dev/kvm ]] || return 1
    [[ -d /sys/module/kvm_intel || -d /sys/module/kvm_amd ]] || return 1
    grep -qwE 'vmx|svm' /proc/cpuinfo
}

run_directly() {
    trace "/dev/kvm is hardware-backed: running the command directly"
    local status=0
    timeout --kill-after=10 "$timeout_seconds" "${command_argv[@]}" || status=$?
    if ((status == 124)); then
        say "timed out after $timeout_seconds s"
    fi
    exit "$status"
}

# The newest /boot/vmlinuz-* whose modules are installed, unless
# TWINBOX_TESTHOST_KERNEL names one.
find_kernel() {
    if [[ -n ${TWINBOX_TESTHOST_KERNEL:-} ]]; then
        kernel_image=$TWINBOX_TESTHOST_KERNEL
        kernel_version=${kernel_image##*/vmlinuz-}
    else
        kernel_image=""
        local candidate
        while read -r candidate; do
            if [[ -f /lib/modules/${candidate##*/vmlinuz-}/modules.dep ]]; then
                kernel_image=$candidate
            fi
        done < <(compgen -G '/boot/vmlinuz-*' | sort -V)
        [[ -n $kernel_image ]] || skip "no /boot/vmlinuz-* with modules" \
            "in /lib/modules (apt-get install linux-image-amd64)"
        kernel_version=${kernel_image##*/vmlinuz-}
    fi
    [[ -r $kernel_image ]] || skip "cannot read the kernel $kernel_image"
    modules_dir=/lib/modules/$kernel_version
    [[ -f $modules_dir/modules.dep ]] ||
        skip "no $modules_dir/modules.dep for the kernel $kernel_image"
}

check_tools() {
    command -v "$qemu" >/dev/null ||
        skip "$qemu not found (apt-get install qemu-system-x86)"
    busybox=""
    local candidate
    for candidate in /bin/busybox /usr/bin/busybox; do
        if [[ -x $candidate ]]; then
            busybox=$candidate
            break
        fi
    done
    [[ -n $busybox ]] || skip "no busybox (apt-get install busybox-static)"
    if command -v cpio >/dev/null; then
        cpio_tool=(cpio)
    else
        cpio_tool=("$busybox" cpio)
    fi
}

# A static binary has no PT_INTERP, so it has no ".interp" path string
# such as /lib64/ld-linux-x86-64.so.2 near its start.
file_is_static() {
    ! grep -qa 'ld-linux' < <(head -c 4096 "$1")
}

# --- The cached kernel and initramfs ---------------------------------------

# Everything the cached files are built from; a change gives a new key.
compute_cache_key() {
    key=$({
        stat -L -c '%n %s %Y' "$kernel_image" "$modules_dir/modules.dep" \
            "$busybox"
        cat "$init_script" "$script_path"
    } | sha256sum)
    key=${key:0:16}
}

# Appends module NAME and the modules it needs to load_paths (paths relative
# to modules_dir, dependencies first, each once), with NAME's PARAMETERS in
# load_parameters and GROUP in load_groups. modules.dep lists a module's
# whole dependency closure, ordered so that loading the list backwards
# satisfies each dependency, as modprobe does.
add_module() {
    local group=$1 name=$2 parameters=$3 line index
    local -a chain
    line=$(awk -v name="${name//-/_}" '{
            base = $1; sub(/:$/, "", base); sub(/.*\//, "", base)
            sub(/\.ko(\.(xz|gz|zst))?$/, "", base); gsub(/-/, "_", base)
            if (base == name) { print; exit }
        }' "$modules_dir/modules.dep")
    if [[ -z $line ]]; then
        # A built-in module needs no loading.
        if grep -qE "/${name//[-_]/[-_]}\.ko\$" "$modules_dir/modules.builtin" \
            2>/dev/null; then
            return 0
        fi
        skip "the kernel $kernel_version has no module $name"
    fi
    read -r -a chain <<<"${line#*:}"
    for ((index = ${#chain[@]} - 1; index >= 0; index--)); do
        add_path "$group" "${chain[index]}" ""
    done
    add_path "$group" "${line%%:*}" "$parameters"
}

# A module that two groups need goes to the group "common", which init.sh
# loads before the others. Its own dependencies are needed by both groups
# too, so they also end up in "common", earlier in the list.
add_path() {
    local group=$1 path=$2 parameters=$3 index
    for index in "${!load_paths[@]}"; do
        if [[ ${load_paths[index]} == "$path" ]]; then
            if [[ ${load_groups[index]} != "$group" ]]; then
                load_groups[index]=common
            fi
            return 0
        fi
    done
    load_groups+=("$group")
    load_paths+=("$path")
    load_parameters+=("$parameters")
}

# Copies a module into the initramfs uncompressed (busybox insmod reads
# plain .ko files) and prints its path there.
install_module() {
    local path=$1 staging=$2 plain
    plain=${path%.xz}
    plain=${plain%.gz}
    plain=${plain%.zst}
    mkdir -p "$staging/lib/modules/$kernel_version/${plain%/*}"
    case $path in
    *.xz) xz -dc "$modules_dir/$path" ;;
    *.gz) gzip -dc "$modules_dir/$path" ;;
    *.zst) zstd -qdc "$modules_dir/$path" ;;
    *) cat "$modules_dir/$path" ;;
    esac >"$staging/lib/modules/$kernel_version/$plain"
    echo "$plain"
}

# Writes etc/testhost/modules: one "group path parameters" line per module,
# in load order.
install_modules() {
    local staging=$1 entry index group
    load_groups=()
    load_paths=()
    load_parameters=()
    for entry in "${top_modules[@]}"; do
        group=${entry%% *}
        entry=${entry#* }
        if [[ $entry == *" "* ]]; then
            add_module "$group" "${entry%% *}" "${entry#* }"
        else
            add_module "$group" "$entry" ""
        fi
    done
    mkdir -p "$staging/etc/testhost"
    for index in "${!load_paths[@]}"; do
        echo "${load_groups[index]}" \
            "$(install_module "${load_paths[index]}" "$staging")" \
            "${load_parameters[index]}"
    done >"$staging/etc/testhost/modules"
}

# The bzImage carries the kernel as a compressed ELF vmlinux (Linux
# Documentation/arch/x86/boot.rst: payload_offset at 0x248, payload_length
# at 0x24c, counted from the protected-mode code, which starts after
# setup_sects (0x1f1) + 1 sectors of 512 bytes). The vmlinux has a PVH
# entry point (CONFIG_PVH), so QEMU can start it directly: that skips the
# decompressor, about 5 s under TCG. Falls back to the bzImage.
extract_vmlinux() {
    local destination=$1 setup_sectors offset length magic
    local -a decompress
    grep -q '^CONFIG_PVH=y' "/boot/config-$kernel_version" 2>/dev/null ||
        return 1
    setup_sectors=$(read_bytes $((0x1f1)) 1 u1)
    ((setup_sectors != 0)) || setup_sectors=4
    offset=$(((setup_sectors + 1) * 512 + $(read_bytes $((0x248)) 4 u4)))
    # The payload ends with its uncompressed size (4 bytes), which is not
    # part of the compressed stream.
    length=$(($(read_bytes $((0x24c)) 4 u4) - 4))
    ((length > 0)) || return 1
    magic=$(read_bytes "$offset" 6 x1)
    case $magic in
    fd377a585a00) decompress=(xz -dc) ;;
    1f8b*) decompress=(gzip -dc) ;;
    28b52ffd*) decompress=(zstd -qdc) ;;
    *) return 1 ;;
    esac
    dd if="$kernel_image" iflag=skip_bytes,count_bytes skip="$offset" \
        count="$length" bs=1M status=none |
        "${decompress[@]}" >"$destination" 2>/dev/null || return 1
    [[ $(od -An -tx1 -N4 "$destination" | tr -d ' \n') == 7f454c46 ]]
}

# read_bytes OFFSET COUNT TYPE: bytes of the kernel image, as od -t TYPE
# prints them, without spaces.
read_bytes() {
    od -An -t"$3" -j "$1" -N "$2" "$kernel_image" | tr -d ' \n'
}

build_image() {
    local entry=$1 staging=$1/root applet
    trace "building the test host image in $entry"
    file_is_static "$busybox" ||
        skip "$busybox is not static (apt-get install busybox-static)"
    mkdir -p "$staging"/{bin,dev,proc,sys,newroot,job,etc/testhost}
    cp "$busybox" "$staging/bin/busybox"
    for applet in $("$busybox" --list); do
        [[ $applet == busybox ]] || ln -s busybox "$staging/bin/$applet"
    done
    install_modules "$staging"
    cp "$init_script" "$staging/init"
    chmod 755 "$staging/init"
    # Uncompressed: decompressing an initramfs under TCG costs more than
    # loading a few more megabytes.
    (cd "$staging" && find . -print0 | LC_ALL=C sort -z |
        "${cpio_tool[@]}" --null -o -H newc --quiet) >"$entry/initramfs.cpio"
    rm -rf "$staging"
    if extract_vmlinux "$entry/vmlinux"; then
        echo vmlinux >"$entry/kernel"
    else
        rm -f "$entry/vmlinux"
        echo "$kernel_image" >"$entry/kernel"
    fi
}

# Sets image_dir to a ready cache entry, building it under a lock if
# needed. Other entries are stale (built from other inputs): removed.
prepare_image() {
    local key lock_fd
    compute_cache_key
    image_dir=$cache_root/$key
    if [[ -f $image_dir/ready ]]; then
        return 0
    fi
    mkdir -p "$cache_root" || die "cannot create the cache $cache_root"
    exec {lock_fd}>"$cache_root/lock"
    flock "$lock_fd"
    if [[ ! -f $image_dir/ready ]]; then
        local stale
        for stale in "$cache_root"/*/; do
            rm -rf "$stale"
        done
        mkdir -p "$image_dir"
        build_image "$image_dir"
        touch "$image_dir/ready"
    fi
    exec {lock_fd}>&-
}

kernel_path() {
    local kernel
    kernel=$(<"$image_dir/kernel")
    if [[ $kernel == vmlinux ]]; then
        echo "$image_dir/vmlinux"
    else
        echo "$kernel"
    fi
}

# --- One run ----------------------------------------------------------------

# Sets quoted to WORD single-quoted for sh: 'it'\''s'. (Not a function
# printing it: command substitution forks, 10-20 ms here, once a variable.)
quote_word() {
    local quote_mark="'" escaped="'\\''"
    quoted="'${1//$quote_mark/$escaped}'"
}

# Appends a space and WORD, quoted, to job_text.
append_quoted() {
    quote_word "$1"
    job_text+=" $quoted"
}

# The job for init.sh: the shares, then the positional parameters that its
# inner script reads: NAME=VALUE entries, "--", the working directory, the
# command.
make_job() {
    local index name
    job_text="verbose=$verbose"$'\n'"job_share_count=${#share_paths[@]}"$'\n'
    for index in "${!share_paths[@]}"; do
        quote_word "${share_paths[index]}"
        job_text+="job_share_$index=$quoted"$'\n'
    done
    job_text+="set --"
    for name in $(compgen -e); do
        # Shells cannot export other names; PWD is set below.
        [[ $name =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || continue
        case $name in PWD | OLDPWD | SHLVL | _) continue ;; esac
        append_quoted "$name=${!name}"
    done
    append_quoted "PWD=$working_directory"
    job_text+=" --"
    append_quoted "$working_directory"
    for name in "${command_argv[@]}"; do
        append_quoted "$name"
    done
    job_text+=$'\n'
}

# Prints one entry of a "newc" cpio archive (Linux
# Documentation/driver-api/early-userspace/buffer-format.rst): a header of
# "070701" and 13 eight-digit hexadecimal fields, the NUL-terminated name
# padded to a multiple of 4 bytes, then the data, padded the same way.
cpio_entry() {
    local name=$1 mode=$2 data=$3 size name_size LC_ALL=C
    size=${#data}
    name_size=$((${#name} + 1))
    printf '070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X' \
        0 "$mode" 0 0 1 0 "$size" 0 0 0 0 "$name_size" 0
    printf '%s\0' "$name"
    zero_bytes $(((4 - (110 + name_size) % 4) % 4))
    printf '%s' "$data"
    zero_bytes $(((4 - size % 4) % 4))
}

zero_bytes() {
    local count
    for ((count = 0; count < $1; count++)); do
        printf '\0'
    done
}

resolve_shares() {
    share_paths=()
    local share path
    for share in "${shares[@]}"; do
        if ! path=$(realpath -e "$share" 2>/dev/null) || [[ ! -d $path ]]; then
            die "--share $share: not a directory"
        fi
        [[ $path != *$'\n'* ]] || die "--share $share: newline in the path"
        share_paths+=("$path")
    done
}

# The per-run initrd: the cached initramfs followed by a small archive with
# /job/job.sh. Linux unpacks concatenated cpio archives in order.
write_initrd() {
    make_job
    {
        cat "$image_dir/initramfs.cpio"
        cpio_entry job/job.sh $((0100644)) "$job_text"
        cpio_entry TRAILER!!! 0 ""
    } >"$run_dir/initrd"
}

# QEMU's option parser takes a doubled comma as a literal comma.
qemu_escape() {
    echo "${1//,/,,}"
}

build_qemu_command() {
    local console append index
    local -a firmware=()
    # qboot starts the kernel about a second sooner than SeaBIOS under TCG.
    if [[ -f $qboot ]]; then
        firmware=(-bios "$qboot")
    fi
    # cryptomgr.notests skips the crypto self-tests (~0.5 s under TCG);
    # tsc=reliable keeps the TSC as the clock source (TCG's TSC follows the
    # host's, so the vCPUs agree; otherwise Linux falls back to the HPET,
    # which is slow to read, also for the L2 guests' kvmclock).
    append="console=ttyS0 panic=1 random.trust_cpu=on cryptomgr.notests"
    append+=" tsc=reliable"
    # The in-guest watchdog: an L1 whose vCPUs lock up (seen as "soft lockup"
    # on both vCPUs after many short-lived L2 VMs) panics, and panic=1 with
    # -no-reboot ends QEMU, instead of hanging until --timeout. The threshold
    # is 2 x watchdog_thresh = 120 s, far above the stalls a loaded host gives
    # a TCG vCPU, so a slow run is never mistaken for a locked-up one.
    append+=" softlockup_panic=1 watchdog_thresh=60"
    if ((verbose)); then
        console="file,id=console,path=/dev/stderr,append=on"
    else
        console="file,id=console,path=$(qemu_escape "$run_dir/console.log")"
        append+=" quiet loglevel=4"
    fi
    # shellcheck disable=SC2054 # commas separate QEMU suboptions
    qemu_command=(
        "$qemu" -accel tcg,thread=multi -cpu max -M pc
        -m "$memory_mib" -smp "$cpus" "${firmware[@]}"
        -display none -nodefaults -no-user-config -no-reboot
        -pidfile "$run_dir/qemu.pid"
        -kernel "$(kernel_path)" -initrd "$run_dir/initrd" -append "$append"
        -chardev "$console" -serial chardev:console
        -chardev "file,id=status,path=$(qemu_escape "$run_dir/status")"
        -serial chardev:status
        -device virtio-serial-pci,id=serial
        -chardev "file,id=output,path=$(qemu_escape "$run_dir/output"),append=on"
        -device virtserialport,bus=serial.0,chardev=output,name=org.twinbox.output
        -virtfs "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap"
    )
    for index in "${!share_paths[@]}"; do
        qemu_command+=(-virtfs "local,path=$(qemu_escape "${share_paths[index]}"),mount_tag=share$index,security_model=none,multidevs=remap")
    done
}

# shellcheck disable=SC2317 # called by the traps
cleanup() {
    if [[ -n $qemu_pid ]]; then
        kill "$qemu_pid" 2>/dev/null || true
        wait "$qemu_pid" 2>/dev/null || true
    fi
    if [[ -n $relay_pid ]]; then
        finish_relay
    fi
    if [[ -n $run_dir ]]; then
        rm -rf "$run_dir"
    fi
}

# shellcheck disable=SC2317 # called by the traps
on_signal() {
    say "interrupted by SIG$1"
    cleanup
    trap - EXIT
    exit $((128 + $2))
}

# QEMU writes the command's output into a FIFO, and this relay copies it to
# our stdout. If our stdout goes away (testhost.sh ... | head), the relay
# keeps draining the FIFO, so that neither QEMU nor the guest blocks; a
# stdout that QEMU wrote itself would stop the guest until --timeout.
start_relay() {
    mkfifo "$run_dir/output"
    { cat || cat >/dev/null; } <"$run_dir/output" &
    relay_pid=$!
}

# Waits until the relay has copied everything. Opening the FIFO for reading
# and writing never blocks; it frees a relay still waiting to open the FIFO
# (if QEMU never opened it), and closing it gives the relay end of file.
finish_relay() {
    local fifo_fd
    exec {fifo_fd}<>"$run_dir/output"
    exec {fifo_fd}>&-
    wait "$relay_pid" 2>/dev/null || true
    relay_pid=""
}

# QEMU's own PID (from -pidfile, which QEMU removes when it exits), as
# watch_vm last saw it.
qemu_process_id="?"
qemu_real_pid() {
    local pid
    if pid=$(cat "$run_dir/qemu.pid" 2>/dev/null) && [[ $pid =~ ^[0-9]+$ ]]; then
        qemu_process_id=$pid
    fi
    echo "$qemu_process_id"
}

# Waits for QEMU (started under timeout(1) as $qemu_pid), once a second. The
# L1 reports "status=N" on the status port when the command is done; if QEMU
# is still running $poweroff_grace_seconds later, the L1 hung while powering
# off: QEMU is killed by its PID, and the run keeps the reported status.
stopped_after_status=0
watch_vm() {
    local reported_at="" pid
    while kill -0 "$qemu_pid" 2>/dev/null; do
        qemu_real_pid >/dev/null
        if [[ -z $reported_at ]] && grep -q '^status=' "$run_dir/status" 2>/dev/null; then
            reported_at=$SECONDS
        fi
        if [[ -n $reported_at ]] &&
            ((SECONDS - reported_at >= poweroff_grace_seconds)); then
            pid=$(qemu_real_pid)
            say "the test host reported the command's status but did not power" \
                "off within $poweroff_grace_seconds s; killing QEMU (pid $pid)"
            [[ $pid == "?" ]] || kill -KILL "$pid" 2>/dev/null || true
            stopped_after_status=1
            return 0
        fi
        sleep 1
    done
}

print_console_tail() {
    if [[ -s $run_dir/console.log ]]; then
        say "last lines of the L1 console:"
        tail -n 20 "$run_dir/console.log" | tr -d '\r' | sed 's/^/  | /' >&2
    fi
}

# QEMU runs in the background under timeout(1) so that our signal traps
# can act at once and stop it; timeout stops it after --timeout seconds.
run_vm() {
    start_relay
    trace "starting QEMU"
    timeout --kill-after=10 "$timeout_seconds" "${qemu_command[@]}" \
        </dev/null &
    qemu_pid=$!
    local qemu_status=0
    watch_vm
    wait "$qemu_pid" || qemu_status=$?
    qemu_pid=""
    finish_relay
    trace "QEMU exited"
    if ((qemu_status == 124)); then
        say "timed out after $timeout_seconds s running: ${command_argv[*]};" \
            "QEMU (pid $qemu_process_id) killed"
        print_console_tail
        exit 124
    fi
    if ((qemu_status > 128 && qemu_status != 124 && !stopped_after_status)); then
        # QEMU itself died: SIGABRT is its assertion failures, e.g. QEMU 7.2's
        # "tcg_handle_interrupt: assertion failed" (README.md, "Known QEMU problems").
        say "QEMU died of signal $((qemu_status - 128)) after $(elapsed) s" \
            "running: ${command_argv[*]}"
    fi
    local line status=""
    touch "$run_dir/status"
    while IFS= read -r line; do
        line=${line%$'\r'}
        case $line in
        note=*) ((verbose)) || say "${line#note=}" ;;
        error=*) say "error: ${line#error=}"; print_console_tail; exit 125 ;;
        status=*) status=${line#status=} ;;
        esac
    done <"$run_dir/status"
    if [[ ! $status =~ ^[0-9]+$ ]]; then
        say "error: the test host stopped without reporting a status" \
            "(QEMU exit status $qemu_status)"
        print_console_tail
        exit 125
    fi
    exit "$status"
}

main() {
    start_ns=$(date +%s%N)
    parse_arguments "$@"
    if ((!force)) && host_has_hardware_kvm; then
        run_directly
    fi
    check_tools
    find_kernel
    prepare_image
    trace "image ready: $image_dir"
    resolve_shares
    working_directory=$PWD
    trap cleanup EXIT
    trap 'on_signal INT 2' INT
    trap 'on_signal TERM 15' TERM
    trap 'on_signal HUP 1' HUP
    run_dir=$(mktemp -d "${TMPDIR:-/tmp}/twinbox-testhost.XXXXXX")
    write_initrd
    build_qemu_command
    run_vm
}

main "$@"
