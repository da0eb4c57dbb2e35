/* A coin-settled BTC option chain, Deribit style: price every strike from
 * its mark volatility with a Black-76 inverse pricer (prices in BTC, as the
 * exchange quotes them), round the prices to the 0.0001 BTC tick as a
 * quoted mark would be, back the implied volatilities out of those marks,
 * and print the chain with its coin delta and USD Greeks.
 * Usage: option_chain [forward] [days] */
#include <stdlib.h>

#include "chain_table.h"

int main(int argc, char **argv)
{
    double F = argc > 1 ? atof(argv[1]) : 97250.0; /* BTC forward for the expiry, USD */
    double days = argc > 2 ? atof(argv[2]) : 28.0;
    return chain_table_print(F, days);
}
