/* Option-chain table of the examples (see chain_table.c). */
#ifndef QPM_EXAMPLES_CHAIN_TABLE_H
#define QPM_EXAMPLES_CHAIN_TABLE_H

/* Prints the coin-settled BTC chain for forward F (USD) and `days` to expiry;
 * returns 0, or 1 after printing the library's error. */
int chain_table_print(double F, double days);

#endif
