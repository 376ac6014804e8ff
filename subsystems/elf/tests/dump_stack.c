/* Prints where Linux placed each initial-stack string, as offsets below
 * the stack top, for tests/stack.rs to compare with the builder. */
#include <elf.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv, char **envp) {
    char **e = envp;
    while (*e)
        e++;
    Elf64_auxv_t *auxv = (Elf64_auxv_t *)(e + 1);
    unsigned long execfn = 0, random = 0, platform = 0;
    for (Elf64_auxv_t *a = auxv; a->a_type != AT_NULL; a++) {
        if (a->a_type == AT_EXECFN) execfn = a->a_un.a_val;
        if (a->a_type == AT_RANDOM) random = a->a_un.a_val;
        if (a->a_type == AT_PLATFORM) platform = a->a_un.a_val;
    }
    /* The top 8 bytes are zero and the execfn string ends just below. */
    unsigned long top = execfn + strlen((const char *)execfn) + 1 + 8;
    for (int i = 0; i < argc; i++)
        printf("argv %lu\n", top - (unsigned long)argv[i]);
    for (e = envp; *e; e++)
        printf("envp %lu\n", top - (unsigned long)*e);
    printf("random %lu\nexecfn %lu\nplatform %lu\n", top - random, top - execfn, top - platform);
    for (Elf64_auxv_t *a = auxv; a->a_type != AT_NULL; a++)
        printf("aux %lu\n", (unsigned long)a->a_type);
    return 0;
}
