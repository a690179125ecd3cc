'use strict'
// (in progress)
