// The FineCat distillation loss: L = alpha · CE(student logits, gold label)
//                                  + beta · MSE(student logits, teacher logits).
#ifndef FC_TRAIN_LOSS_H
#define FC_TRAIN_LOSS_H

typedef struct fc_loss_parts {
    double loss; // alpha · ce + beta · mse
    double ce;   // mean over every row of the batch
    double mse;  // mean over the rows with teacher logits and their labels; 0 when none has any
    int rows, teacher_rows;
} fc_loss_parts;

// logits [B, L] in the model's label order; labels [B] model label ids; teacher [B, L] in the
// model's label order, read only for rows with has_teacher[b] != 0 (teacher may be NULL when
// no row has one).
//
// How the means are taken (and the PyTorch reference in tools/fixtures/train.py does the
// same): CE is torch.nn.CrossEntropyLoss (mean over the B rows, as Hugging Face's
// sequence-classification loss); MSE is torch.nn.MSELoss (mean) over the sub-batch of rows
// that have teacher logits, i.e. over teacher_rows · L numbers. A row without teacher logits
// therefore trains on CE alone, and a batch of such rows is a pure CE batch (MSE term 0).
//
// Writes dlogits [B, L] = scale · ∂L/∂logits (scale = 1 / gradient-accumulation steps, so
// that micro-batches sum to the mean) and returns the unscaled parts. Sums run in double.
void fc_distill_loss(const float *logits, const int *labels, const float *teacher,
                     const unsigned char *has_teacher, int B, int L, double alpha, double beta,
                     double scale, float *dlogits, fc_loss_parts *parts);

// The same for the B rows one rank holds of a batch of total_rows rows, total_teacher_rows of
// them with teacher logits (data-parallel training): the means and their gradients divide by
// the whole batch's counts, so the parts of all ranks add up to the whole batch's loss parts
// (ce and mse are this share's terms of the whole batch's means; rows and teacher_rows count
// this share) and the gradients to its gradient. With total_rows = B and every teacher row
// here, this is fc_distill_loss.
void fc_distill_loss_share(const float *logits, const int *labels, const float *teacher,
                           const unsigned char *has_teacher, int B, int L, double alpha,
                           double beta, double scale, int total_rows, int total_teacher_rows,
                           float *dlogits, fc_loss_parts *parts);

#endif
