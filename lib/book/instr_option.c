/* European options on the forward of an expiry, priced by Black-76 in the
 * book's option batch (B, dB/dF, d2B/dF2, vega, theta per unit, USD).
 * Linear options pay B USD per coin of multiplier; inverse (coin-settled,
 * Deribit style) ones pay B/F coins, worth (B/F) S USD. */
#include <math.h>

#include "book/instrument.h"

double qpm__instr_option_weight(const qpm_book *b, const qpm__book_pos *p)
{
    double qm = p->Q * p->m;
    if (!qpm__pos_kind(p)->inverse)
        return qm;
    /* V = Q m (B/F) S */
    return qm * (b->under[p->u].S / b->exp[p->ex].F);
}

/* With c = F/S: every forward moves with S in proportion, so d/dS = c d/dF
 * for a linear option; an inverse one carries the extra S/F. */
void qpm__instr_option_row(const qpm_book *b, const qpm__book_pos *p, size_t opt, qpm__book_row *r)
{
    const qpm__book_opts *o = &b->opts;
    double S = b->under[p->u].S, qm = p->Q * p->m;
    double F = o->F[opt], c = F / S;
    if (!qpm__pos_kind(p)->inverse) {
        r->value_usd = qm * o->B[opt];
        r->value_coin = r->value_usd / S;
        r->delta_coin = qm * o->dB[opt] * c;
        r->gamma = qm * o->gB[opt] * c * c;
        r->vega = qm * o->vB[opt];
        r->theta = qm * o->tB[opt];
        r->delta_exchange = qm * o->dB[opt];
    } else {
        double Bf = o->B[opt] / F;
        r->value_usd = qm * Bf * S;
        r->value_coin = qm * Bf;
        r->delta_coin = qm * o->dB[opt];
        r->gamma = qm * o->gB[opt] * c;
        r->vega = qm * o->vB[opt] / c;
        r->theta = qm * o->tB[opt] / c;
        /* the exchange's coin delta of an inverse option (Deribit) */
        r->delta_exchange = qm * (o->dB[opt] - Bf);
    }
}

/* Standard model, the exchange rule for short options, per coin |Q m|:
 * initial max(BASE - OTM / S, MIN) S + mark, maintenance MM S + mark, with
 * S the moved spot; long options need none (their premium is paid). */
void qpm__instr_option_margin(const qpm_book *b, const qpm__book_pos *p, double fx, double mark,
                              double *im, double *mm)
{
    *im = *mm = 0.0;
    if (!(p->Q < 0.0))
        return;
    double S = b->under[p->u].S * fx, coins = fabs(p->Q * p->m);
    double otm = p->type == QPM_CALL ? p->K - S : S - p->K;
    otm = otm > 0.0 ? otm : 0.0;
    double f = b->m_opt_im - otm / S;
    f = f > b->m_opt_im_min ? f : b->m_opt_im_min;
    *im = coins * (f * S + mark);
    *mm = coins * (b->m_opt_mm * S + mark);
}
