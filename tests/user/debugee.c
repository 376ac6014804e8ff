/* For gdb inside Courage (tests/tests/gdb.rs): a function with a struct
 * argument and a local to break in, print and finish. Built without
 * optimisation so every variable is there to print; run alone, it checks
 * its own arithmetic. */
#pragma GCC optimize("O0")
#include <stdio.h>

struct point {
    int x, y;
};

static int calls;

int area(struct point corner, int scale) {
    int result = corner.x * corner.y * scale;
    calls++;
    return result;
}

int main(void) {
    struct point corner = {6, 7};
    int first = area(corner, 2);
    corner.y = 1;
    int second = area(corner, 3);
    printf("areas %d %d\n", first, second);
    return first == 84 && second == 18 && calls == 2 ? 0 : 1;
}
