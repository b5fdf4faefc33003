# Reference estimates of fct_indicator_estimates by R's survey package (Lumley).
#
# Usage: Rscript reference.R respondents.csv reference.csv
#
# respondents.csv: one row per weighted respondent (rows without a weight, i.e.
# zone-waves without any register, are outside the design and must be left out
# by the caller; rows with an NA weight are dropped here as well) with columns
#   wave_id, zone_id, industry_group, size_class  (domains; empty = no domain)
#   weight, weighting_cell, cell_population, stratum_population (N_h)
#   weighting_method (raking / post_stratification, per zone-wave),
#   calibration_section, calibration_size, section_population, size_population
#   (raking: the respondent's raking margins and their register totals)
#   base__<indicator_id>, yes__<indicator_id>     (0/1, one pair per indicator)
# reference.csv: wave_id, zone_id (zone or ALL), domain, indicator_id, estimate, se
# for every cell whose domain x base holds at least one respondent.
#
# Per wave: strata = zones (fpc = the register population N_h), calibrated by
# calibrate(calfun = "raking") to each zone-wave's model: its weighting cells
# (post-stratification) or its register's section and size margins (raking), then
# svymean(~y, subset(ps, in_base & in_domain)) and its SE, as the warehouse's
# closed form claims to reproduce (docs/methodology.md).
suppressPackageStartupMessages(library(survey))

args <- commandArgs(trailingOnly = TRUE)
if (length(args) != 2) stop("usage: Rscript reference.R respondents.csv reference.csv")
resp <- read.csv(args[[1]], stringsAsFactors = FALSE, check.names = FALSE,
                 na.strings = c("", "NA"))
resp <- resp[!is.na(resp$weight), ]
indicators <- sub("^base__", "", grep("^base__", names(resp), value = TRUE))

# preallocated columns (appending data frames one by one is quadratic)
capacity <- 50L * length(indicators) * length(unique(resp$zone_id)) * 3L + 1000L
out <- list(wave_id = integer(capacity), zone_id = character(capacity),
            domain = character(capacity), indicator_id = character(capacity),
            estimate = character(capacity), se = character(capacity))
k <- 0L
for (wave in sort(unique(resp$wave_id))) {
  dw <- resp[resp$wave_id == wave, ]
  # the calibration model, zone by zone: post-stratification = one dummy per
  # weighting cell (total: its register population); raking = one dummy per
  # industry section and one per size class but the zone's first (the margins are
  # collinear within a zone), totals the register margins
  columns <- list()
  totals <- c()
  add_dummy <- function(member, total) {
    name <- paste0("m", length(columns) + 1L)
    columns[[name]] <<- as.numeric(member)
    totals[[name]] <<- total
  }
  for (zone in sort(unique(dw$zone_id))) {
    dz <- dw$zone_id == zone
    method <- unique(dw$weighting_method[dz])
    stopifnot(length(method) == 1)
    if (method == "raking") {
      for (section in sort(unique(dw$calibration_section[dz]))) {
        member <- dz & dw$calibration_section == section
        add_dummy(member, dw$section_population[member][[1]])
      }
      sizes <- sort(unique(dw$calibration_size[dz]))
      for (size in sizes[-1]) {
        member <- dz & dw$calibration_size == size
        add_dummy(member, dw$size_population[member][[1]])
      }
    } else {
      for (cell in sort(unique(dw$weighting_cell[dz]))) {
        member <- dz & dw$weighting_cell == cell
        add_dummy(member, dw$cell_population[member][[1]])
      }
    }
  }
  for (name in names(columns)) dw[[name]] <- columns[[name]]
  model <- as.formula(paste("~ 0 +", paste(names(columns), collapse = " + ")))
  design <- svydesign(ids = ~1, strata = ~zone_id, fpc = ~stratum_population, data = dw)
  # raking (unbounded): in a post-stratified zone it gives the post-stratification
  # weights, and its variance the post-stratified one
  ps <- calibrate(design, model, population = unlist(totals), calfun = "raking",
                  maxit = 500, epsilon = 1e-13)
  # the calibrated weights are the warehouse's
  stopifnot(max(abs(weights(ps) / dw$weight - 1)) < 1e-9)
  domains <- list(list(type = "all", value = "all", member = rep(TRUE, nrow(dw))))
  for (type in c("industry_group", "size_class")) {
    for (value in sort(unique(na.omit(dw[[type]])))) {
      member <- !is.na(dw[[type]]) & dw[[type]] == value
      domains[[length(domains) + 1]] <- list(type = type, value = value, member = member)
    }
  }
  for (zone in c(sort(unique(dw$zone_id)), "ALL")) {
    in_zone <- if (zone == "ALL") rep(TRUE, nrow(dw)) else dw$zone_id == zone
    for (domain in domains) {
      for (indicator in indicators) {
        keep <- in_zone & domain$member & dw[[paste0("base__", indicator)]] == 1
        if (!any(keep)) next
        ps$variables$y <- dw[[paste0("yes__", indicator)]]
        m <- svymean(~y, subset(ps, keep))
        k <- k + 1L
        out$wave_id[k] <- wave
        out$zone_id[k] <- zone
        out$domain[k] <- domain$value
        out$indicator_id[k] <- indicator
        # 17 significant digits: the test compares to 1e-9, write.csv keeps only 15
        out$estimate[k] <- sprintf("%.17g", coef(m)[[1]])
        out$se[k] <- sprintf("%.17g", SE(m)[[1]])
      }
    }
  }
}
write.csv(as.data.frame(lapply(out, function(column) column[seq_len(k)])), args[[2]],
          row.names = FALSE, quote = TRUE)
