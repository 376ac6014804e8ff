/* A dynamically linked program: the kernel maps its interpreter (glibc's
 * ld.so from the build machine) and ld.so maps libc.so with mmap. */
#include <stdio.h>

int main(int argc, char **argv) {
    (void)argc;
    printf("dynamic hello %s\n", argv[0]);
    return 0;
}
