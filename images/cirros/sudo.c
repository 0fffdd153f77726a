/*
 * sudo for Kumo's cirros image: cirros lets its `cirros` user run anything as root without a
 * password (sudoers: NOPASSWD: ALL), and Tempest's scenarios rely on it (`sudo ip addr add`,
 * `sudo kill -USR1 <udhcpc>`). This is exactly that policy and nothing else: root and members
 * of group 1000 (cirros) may run a command as root; everyone else is refused. Installed setuid
 * root, statically linked, so the image needs no PAM, no sudoers parser and no libraries.
 *
 *   sudo [-i|-s] [-n] [-E] [-H] [-u root] [--] [command [args...]]
 */
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SUDO_GID 1000

static int allowed(void) {
  uid_t uid = getuid();
  if (uid == 0) return 1;
  if (getgid() == SUDO_GID) return 1;
  gid_t groups[64];
  int n = getgroups(64, groups);
  for (int i = 0; i < n; i++)
    if (groups[i] == SUDO_GID) return 1;
  return 0;
}

int main(int argc, char **argv) {
  int login = 0;
  int i = 1;
  for (; i < argc && argv[i][0] == '-'; i++) {
    const char *a = argv[i];
    if (strcmp(a, "--") == 0) { i++; break; }
    if (strcmp(a, "-i") == 0 || strcmp(a, "-s") == 0) login = 1;
    else if (strcmp(a, "-n") == 0 || strcmp(a, "-E") == 0 || strcmp(a, "-H") == 0) continue;
    else if (strcmp(a, "-u") == 0 && i + 1 < argc && (strcmp(argv[i + 1], "root") == 0 || strcmp(argv[i + 1], "0") == 0)) i++;
    else { fprintf(stderr, "sudo: option %s is not supported here\n", a); return 1; }
  }
  if (!allowed()) {
    fprintf(stderr, "sudo: %s is not in the sudoers file.\n", getpwuid(getuid()) ? getpwuid(getuid())->pw_name : "you");
    return 1;
  }
  if (setgroups(0, NULL) != 0 || setgid(0) != 0 || setuid(0) != 0) {
    perror("sudo: cannot become root");
    return 1;
  }
  setenv("HOME", "/root", 1);
  setenv("USER", "root", 1);
  setenv("LOGNAME", "root", 1);
  setenv("PATH", "/sbin:/bin:/usr/sbin:/usr/bin", 1);
  if (i >= argc) {
    if (!login) { fprintf(stderr, "usage: sudo [-i] [--] command [args...]\n"); return 1; }
    execl("/bin/sh", "-sh", (char *)NULL);
  } else if (login) {
    /* sudo -i cmd args: the command through a login shell, as sudo does. */
    size_t len = 1;
    for (int k = i; k < argc; k++) len += strlen(argv[k]) + 1;
    char *line = malloc(len);
    if (!line) return 1;
    line[0] = '\0';
    for (int k = i; k < argc; k++) { strcat(line, argv[k]); if (k + 1 < argc) strcat(line, " "); }
    execl("/bin/sh", "-sh", "-c", line, (char *)NULL);
  } else {
    execvp(argv[i], argv + i);
  }
  fprintf(stderr, "sudo: %s: command not found\n", i < argc ? argv[i] : "/bin/sh");
  return 127;
}
