/* argv, envp and the auxiliary vector as exec lays them out. */
#include <sys/auxv.h>
#include <unistd.h>
#include "check.h"

extern char **environ;

int main(int argc, char **argv) {
    if (argc == 4 && strcmp(argv[1], "child") == 0) {
        CHECK_EQ(strcmp(argv[2], "two words"), 0);
        CHECK_EQ(strcmp(argv[3], ""), 0);
        CHECK(argv[4] == NULL);
        CHECK(getenv("COURAGE_TEST") != NULL);
        CHECK_EQ(strcmp(getenv("COURAGE_TEST"), "yes=really"), 0);
        CHECK(environ[1] == NULL);
        CHECK_EQ(getauxval(AT_PAGESZ), 4096);
        CHECK(getauxval(AT_RANDOM) != 0);
        CHECK(getauxval(AT_ENTRY) != 0);
        CHECK(getauxval(AT_PHDR) != 0);
        CHECK_EQ(getauxval(AT_PHENT), 56);
        CHECK(getauxval(AT_PHNUM) > 0);
        CHECK_EQ(getauxval(AT_UID), getuid());
        CHECK_EQ(getauxval(AT_EUID), geteuid());
        CHECK_EQ(getauxval(AT_GID), getgid());
        CHECK_EQ(getauxval(AT_SECURE), 0);
        CHECK_EQ(getauxval(AT_CLKTCK), 100);
        const char *execfn = (const char *)getauxval(AT_EXECFN);
        CHECK(execfn != NULL && strcmp(execfn, argv[0]) == 0);
        /* The stack is 16-byte aligned at entry: a local is aligned too. */
        long double aligned = 1.0L;
        CHECK_EQ(((unsigned long)&aligned) % 16, 0);
        return 0;
    }
    char *child_argv[] = {argv[0], "child", "two words", "", NULL};
    char *child_envp[] = {"COURAGE_TEST=yes=really", NULL};
    execve(argv[0], child_argv, child_envp);
    CHECK(!"execve returned");
    return 1;
}
