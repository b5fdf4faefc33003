# Reference estimates of fct_maturity_transitions by R's survey package (Lumley).
#
# Usage: Rscript transitions_reference.R links.csv reference.csv
#
# links.csv: one row per weighted panel link and measure, with columns
#   wave_from, zone_from, measure, level_from, level_to,
#   panel_weight, panel_stratum_population (N_h of the zone of wave t)
# reference.csv: wave_from, zone_id (zone or ALL), measure, level_from, level_to,
# estimate, se for every transition held by a weighted link.
#
# Per wave pair and measure: strata = zones of wave t (fpc = N_h), the panel weights
# as fixed weights, then svymean(~I(level_to == b), subset(design, level_from == a)),
# the design docs/methodology.md ("Transitions (panel)") documents.
suppressPackageStartupMessages(library(survey))

args <- commandArgs(trailingOnly = TRUE)
if (length(args) != 2) stop("usage: Rscript transitions_reference.R links.csv reference.csv")
links <- read.csv(args[[1]], stringsAsFactors = FALSE, na.strings = c("", "NA"))
links <- links[!is.na(links$panel_weight), ]

out <- list()
for (wave in sort(unique(links$wave_from))) {
  for (measure in sort(unique(links$measure))) {
    dw <- links[links$wave_from == wave & links$measure == measure, ]
    design <- svydesign(ids = ~1, strata = ~zone_from, fpc = ~panel_stratum_population,
                        weights = ~panel_weight, data = dw)
    for (zone in c(sort(unique(dw$zone_from)), "ALL")) {
      in_zone <- if (zone == "ALL") rep(TRUE, nrow(dw)) else dw$zone_from == zone
      for (from in sort(unique(dw$level_from[in_zone]))) {
        base <- in_zone & dw$level_from == from
        for (to in sort(unique(dw$level_to[base]))) {
          design$variables$y <- as.numeric(dw$level_to == to)
          fit <- svymean(~y, subset(design, base))
          out[[length(out) + 1]] <- data.frame(
            wave_from = wave, zone_id = zone, measure = measure, level_from = from,
            level_to = to, estimate = sprintf("%.17g", coef(fit)[[1]]),
            se = sprintf("%.17g", SE(fit)[[1]])
          )
        }
      }
    }
  }
}
write.csv(do.call(rbind, out), args[[2]], row.names = FALSE)
