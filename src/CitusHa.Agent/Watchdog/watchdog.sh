#!/bin/bash
# CitusHa watchdog. A separate process, so that it keeps running when the agent is frozen (SIGSTOP,
# a stuck runtime) or killed. Started as `watchdog.sh [<data directory>]`; the agent feeds it on
# stdin, one line at a time:
#   arm <milliseconds> <postmaster pid | ->   fence unless fed again within <milliseconds>
#   disarm                                    this member may not be a primary: nothing to fence
# Fencing = SIGKILL to every postmaster of this member and to its children: the armed PID, only if it
# still belongs to the process that was armed (same start time), and the PID in the data directory's
# postmaster.pid, only if that process runs in this data directory (its cwd). The second one covers a
# postmaster the agent has not seen yet: one starting as a primary, or promoted, within the cycle
# in which the agent froze. A reused PID is never touched. On end of input (agent gone) an armed
# watchdog still fences at its deadline, then exits; a disarmed one exits at once.
set -u
datadir=${1:-}
armed=0 pid="" ticks="" deadline=0
# Set when the agent is gone: a postmaster started after that moment belongs to a new agent (which
# stopped the one left running and started its own), and this orphaned watchdog must not touch it.
orphaned_at_ticks=""
hz=$(getconf CLK_TCK 2>/dev/null) || hz=100

# Deadlines on CLOCK_BOOTTIME (/proc/uptime, the agent's clock too): a wall-clock step must not move
# them, and time spent suspended counts. Read with a builtin, no fork; 10 ms resolution.
now_ms() {
  local up rest
  if read -r up rest 2>/dev/null < /proc/uptime; then REPLY=$(( 10#${up/./} * 10 )); return; fi
  local t=${EPOCHREALTIME/./}; REPLY=$(( 10#$t / 1000 ))
}

# Results go through REPLY, not $(...): under load a fork costs milliseconds, and fencing walks every
# process. (It used $(cat) per /proc entry: 2.5 s for 100 processes on a busy 2-core machine, past
# the safety margin.)
start_ticks() {   # field 22 of /proc/<pid>/stat; the name in field 2 may hold spaces, so cut after ')'
  local stat
  REPLY=""
  read -r stat 2>/dev/null < "/proc/$1/stat" || return 1
  set -- ${stat##*) }
  [ $# -ge 20 ] || return 1
  REPLY=${20}
}

datadir_postmaster() {   # the PID in postmaster.pid, if that process runs in our data directory
  local first
  REPLY=""
  [ -n "$datadir" ] || return 1
  read -r first 2>/dev/null < "$datadir/postmaster.pid" || return 1
  case "$first" in ''|*[!0-9]*) return 1 ;; esac
  [ "/proc/$first/cwd" -ef "$datadir" ] || return 1
  if [ -n "$orphaned_at_ticks" ]; then
    start_ticks "$first" || return 1
    [ "$REPLY" -le "$orphaned_at_ticks" ] || return 1
  fi
  REPLY=$first
}

children_of() {   # appends the children of $1 to kids
  local f stat
  for f in /proc/[0-9]*/stat; do
    read -r stat 2>/dev/null < "$f" || continue
    set -- "$1" ${stat##*) }
    [ "$3" = "$1" ] && { f=${f#/proc/}; kids="$kids ${f%/stat}"; }
  done
}

fence() {
  armed=0
  local targets="" kids="" target
  if [ -n "$pid" ] && start_ticks "$pid" && [ "$REPLY" = "$ticks" ]; then targets=" $pid"; fi
  if datadir_postmaster; then
    case "$targets " in *" $REPLY "*) ;; *) targets="$targets $REPLY" ;; esac
  fi
  if [ -z "${targets// /}" ]; then
    echo "citusha watchdog: deadline passed, but no postmaster of this member runs (armed: ${pid:--}): nothing to fence" >&2
    return 0
  fi
  # Stopped first, a postmaster cannot fork a backend that the walk below would miss; its backends
  # (which keep serving after the postmaster dies) are killed with it.
  for target in $targets; do kill -STOP "$target" 2>/dev/null; done
  for target in $targets; do children_of "$target"; done
  kill -KILL $targets $kids 2>/dev/null
  echo "citusha watchdog: the agent was silent past its deadline; killed postmaster${targets} and its children" >&2
}

seconds() { printf -v REPLY '%d.%03d' $(( $1 / 1000 )) $(( $1 % 1000 )); }

while true; do
  if [ "$armed" = 1 ]; then
    now_ms; left=$(( deadline - REPLY ))
    if [ "$left" -le 0 ]; then fence; continue; fi
    seconds "$left"
    read -r -t "$REPLY" command a b
    rc=$?
    if [ "$rc" -gt 128 ]; then continue; fi            # timed out: the loop fences
    if [ "$rc" -ne 0 ]; then                           # end of input: the agent is gone
      now_ms; orphaned_at_ticks=$(( REPLY * hz / 1000 + 1 )); left=$(( deadline - REPLY ))
      if [ "$left" -gt 0 ]; then seconds "$left"; sleep "$REPLY"; fi
      fence
      exit 0
    fi
  else
    read -r command a b || exit 0
  fi
  case "$command" in
    arm)
      case "$a" in ''|*[!0-9]*) echo "citusha watchdog: ignored a malformed line: arm $a $b" >&2; continue ;; esac
      case "$b" in
        ''|-|*[!0-9]*) pid="" ticks="" ;;
        "$pid") ;;
        *) if start_ticks "$b"; then pid=$b ticks=$REPLY; else pid="" ticks=""; fi ;;
      esac
      now_ms; deadline=$(( REPLY + 10#$a )); armed=1 ;;
    disarm) armed=0 ;;
  esac
done
